import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { type FileAccess, findRootOf, isInside, ownerRoot, pyprojectHasExcore, rootsFromMarkers } from '../src/roots';
import { promises as fsp } from 'node:fs';

const realFs: FileAccess = {
  isFile: (p) => fsp.stat(p).then((s) => s.isFile(), () => false),
  readText: (p) => fsp.readFile(p, 'utf8').catch(() => undefined),
};

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(path.join(tmpdir(), 'excore-roots-'));
  for (const [name, text] of Object.entries(files)) {
    const full = path.join(root, name);
    mkdirSync(path.dirname(full), { recursive: true });
    writeFileSync(full, text);
  }
  return root;
}

describe('pyprojectHasExcore', () => {
  it('accepts [tool.excore] and its sub-tables', () => {
    assert.equal(pyprojectHasExcore('[project]\nname = "x"\n\n[tool.excore]\nname = "seg"\n'), true);
    assert.equal(pyprojectHasExcore('[tool.excore.primary_fields]\nModel = "Model"\n'), true);
    assert.equal(pyprojectHasExcore('[ tool . excore ]\n'), true);
  });

  it('accepts an excore key inside [tool]', () => {
    assert.equal(pyprojectHasExcore('[tool]\nexcore = { name = "seg" }\n'), true);
    assert.equal(pyprojectHasExcore('[tool]\nexcore.name = "seg"\n'), true);
  });

  it('rejects other tools, similar names and comments', () => {
    assert.equal(pyprojectHasExcore('[tool.ruff]\nline-length = 100\n'), false);
    assert.equal(pyprojectHasExcore('[tool.excore-extra]\n'), false);
    assert.equal(pyprojectHasExcore('[tool.excorelike]\n'), false);
    assert.equal(pyprojectHasExcore('# [tool.excore]\n[tool.black]\n'), false);
    assert.equal(pyprojectHasExcore('[tool]\nblack = 1\n[other]\nexcore = 1\n'), false);
  });
});

describe('findRootOf', () => {
  it('finds the nearest excore.toml above a config', async () => {
    const root = tree({ 'excore.toml': 'name = "seg"\n', 'configs/_base_/model.toml': '' });
    assert.equal(await findRootOf(path.join(root, 'configs/_base_/model.toml'), realFs), root);
  });

  it('finds a pyproject.toml with [tool.excore]', async () => {
    const root = tree({ 'pyproject.toml': '[tool.excore]\nname = "seg"\n', 'configs/a.toml': '' });
    assert.equal(await findRootOf(path.join(root, 'configs/a.toml'), realFs), root);
  });

  it('walks past a pyproject.toml without [tool.excore] to an outer workspace', async () => {
    const root = tree({
      'excore.toml': '',
      'sub/pyproject.toml': '[project]\nname = "sub"\n',
      'sub/configs/a.toml': '',
    });
    assert.equal(await findRootOf(path.join(root, 'sub/configs/a.toml'), realFs), root);
  });

  it('does not take over TOML files of unrelated projects', async () => {
    const root = tree({ 'pyproject.toml': '[tool.ruff]\n', 'Cargo.toml': '[package]\n', 'conf/x.toml': '' });
    assert.equal(await findRootOf(path.join(root, 'conf/x.toml'), realFs), undefined);
    assert.equal(await findRootOf(path.join(root, 'Cargo.toml'), realFs), undefined);
  });
});

describe('rootsFromMarkers', () => {
  it('keeps excore.toml dirs and ExCore pyprojects only', async () => {
    const root = tree({
      'a/excore.toml': '',
      'b/pyproject.toml': '[tool.excore]\n',
      'c/pyproject.toml': '[tool.poetry]\n',
    });
    const markers = ['a/excore.toml', 'b/pyproject.toml', 'c/pyproject.toml', 'a/excore.toml'].map((m) => path.join(root, m));
    assert.deepEqual(await rootsFromMarkers(markers, realFs), [path.join(root, 'a'), path.join(root, 'b')]);
  });
});

describe('ownerRoot', () => {
  it('picks the innermost root containing the file', () => {
    const roots = ['/w', '/w/inner', '/other'];
    assert.equal(ownerRoot(roots, '/w/inner/configs/a.toml'), '/w/inner');
    assert.equal(ownerRoot(roots, '/w/configs/a.toml'), '/w');
    assert.equal(ownerRoot(roots, '/elsewhere/a.toml'), undefined);
    assert.equal(ownerRoot(roots, '/wx/a.toml'), undefined);
  });

  it('isInside handles siblings with a common prefix', () => {
    assert.equal(isInside('/a/b', '/a/b/c.toml'), true);
    assert.equal(isInside('/a/b', '/a/bc/c.toml'), false);
  });
});
