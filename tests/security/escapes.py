"""The corpus of escape attempts: config values that try to run code.

Each attempt, if it ran, would create the canary file ``{C}`` (a shell command, a pickle payload,
``exec`` of Python text, a file copy or an ``open``). Every one must be refused by the checker
with ``unsafe-reference`` at the name that breaks a rule (``at``: the first occurrence of that
text in the rendered config is where the problem starts), and by the builder before anything
runs. The workspace is ``fixtures/ws``: ``victim.zoo`` (a registered Python module) imports
``os``, ``subprocess``, ``builtins``, ``importlib``, ``operator``, ``functools``, ``pickle``,
``shutil``, ``io`` and re-exports some of their functions; ``fractions`` (stdlib) is registered
too and imports ``sys``, ``math``, ``operator``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

SHELL = "touch {C}"
PICKLE = "b\"cos\\nsystem\\n(S'touch {C}'\\ntR.\""  # the classic os.system pickle payload
PY = "import os; os.system('touch {C}')"


@dataclass(frozen=True)
class Attempt:
    id: str
    value: str  # the reference, as the config value (TOML-encoded when rendered)
    at: str  # where the problem must start: the first occurrence of this text in the file
    key: str = '"!act"'
    text: str = ""  # a whole config instead of [Model.Net] with key = value

    def render(self, canary: str) -> str:
        if self.text:
            return self.text.replace("{C}", canary)
        value = json.dumps(self.value.replace("{C}", canary))  # a valid TOML basic string
        return f"[Model.Net]\nwidth = 1\n{self.key} = {value}\n"


def _q(text: str) -> str:
    return json.dumps(text)


ATTEMPTS: list[Attempt] = [
    # -- dunder and private walks from registered classes and modules -------------------------
    Attempt(
        "globals-builtins-exec",
        "Head.forward.__globals__.get('__builtins__').get('exec')(\"" + PY + '")',
        "__globals__",
        key='"$act"',
    ),
    Attempt(
        "init-globals-os",
        "Head.__init__.__globals__.get('os').system('" + SHELL + "')",
        "__init__",
        key='"$act"',
    ),
    Attempt("class-subclasses", "Head.__class__.__subclasses__()", "__class__"),
    Attempt("class-dict", "Head.__dict__.get('_secret')", "__dict__", key='"$act"'),
    Attempt(
        "shared-func-globals",
        "Head.forward.__func__.__globals__.get('os').system('" + SHELL + "')",
        "__func__",
        key='"@act"',
    ),
    Attempt("code-object", "Head.forward.__code__", "__code__", key='"$act"'),
    Attempt("private-staticmethod", "Head._secret('" + SHELL + "')", "_secret"),
    Attempt("module-builtins-dict", "zoo.__builtins__", "__builtins__", key='"$act"'),
    Attempt("module-private-function", "zoo._private_helper('" + SHELL + "')", "_private"),
    Attempt("module-loader", "zoo.__loader__.load_module('os')", "__loader__"),
    Attempt("module-spec", "zoo.__spec__", "__spec__", key='"$act"'),
    Attempt(
        "dunder-import",
        "zoo.builtins.__import__('os').system('" + SHELL + "')",
        "__import__",
    ),
    Attempt(
        "field-member-globals",
        "$Model::Net.forward.__globals__.get('os').system('" + SHELL + "')",
        "__globals__",
        key='"$act"',
    ),
    Attempt("registered-class-init", "zoo.Safe.__init__.__globals__", "__init__"),
    # -- foreign modules and functions that a registered module re-exports ---------------------
    Attempt("reexported-os", "zoo.os.system('" + SHELL + "')", "os.system"),
    Attempt("reexported-system-in-all", "zoo.system('" + SHELL + "')", "system("),
    Attempt(
        "reexported-sys-modules",
        "zoo.sys.modules.get('os').system('" + SHELL + "')",
        "sys.modules",
    ),
    Attempt("reexported-subprocess", "zoo.subprocess.call(['touch', '{C}'])", "subprocess"),
    Attempt("reexported-run", "zoo.run(['touch', '{C}'])", "run("),
    Attempt("reexported-builtins-exec", 'zoo.builtins.exec("' + PY + '")', "builtins"),
    Attempt("reexported-exec", 'zoo.exec("' + PY + '")', "exec("),
    Attempt(
        "reexported-builtins-eval",
        "zoo.builtins.eval(\"__import__('os').system('" + SHELL + "')\")",
        "builtins",
    ),
    Attempt(
        "reexported-importlib",
        "zoo.importlib.import_module('os').system('" + SHELL + "')",
        "importlib",
    ),
    Attempt("reexported-getattr", "zoo.getattr('{C}', 'upper')", "getattr("),
    Attempt(
        "reexported-operator",
        "zoo.operator.methodcaller('system', '" + SHELL + "')",
        "operator",
    ),
    Attempt("reexported-methodcaller", "zoo.methodcaller('system', '{C}')", "methodcaller"),
    Attempt("reexported-attrgetter", "zoo.attrgetter('system')", "attrgetter"),
    Attempt("reexported-functools", "zoo.functools.partial('{C}')", "functools"),
    Attempt("reexported-partial", "zoo.partial('{C}')", "partial("),
    Attempt("reexported-pickle-loads", "zoo.pickle.loads(" + PICKLE + ")", "pickle"),
    Attempt("reexported-loads", "zoo.loads(" + PICKLE + ")", "loads("),
    Attempt("reexported-shutil", "zoo.shutil.copyfile('/etc/hostname', '{C}')", "shutil"),
    Attempt("reexported-open", "zoo.open('{C}', 'w')", "open("),
    Attempt("reexported-io-open", "zoo.io.open('{C}', 'w')", "io.open"),
    Attempt(
        "stdlib-fractions-sys",
        "fractions.sys.modules.get('os').system('" + SHELL + "')",
        "sys.modules",
    ),
    Attempt(
        "stdlib-fractions-operator",
        "fractions.operator.methodcaller('system', '" + SHELL + "')",
        "operator",
    ),
    Attempt("class-attribute-module", "Head.tools.system('" + SHELL + "')", "tools"),
    Attempt(
        "list-item",
        "",
        "os.system",
        text='[Model.Net]\n"!act" = ["zoo.Safe", ' + _q("zoo.os.system('" + SHELL + "')") + "]\n",
    ),
    # -- a section named by a dotted path, or whose __class__ is one ---------------------------
    Attempt(
        "named-instance-class-reexport",
        "",
        "runner]",
        text='[Model.Net]\n"!act" = "runner"\n\n[runner]\n__class__ = "zoo.system"\n'
        + "command = "
        + _q(SHELL)
        + "\n",
    ),
    Attempt(
        "named-instance-class-private",
        "",
        "runner]",
        text='[Model.Net]\n"!act" = "runner"\n\n[runner]\n__class__ = "zoo._private_helper"\n'
        + "command = "
        + _q(SHELL)
        + "\n",
    ),
    Attempt(
        "section-reexported-system",
        "",
        '"zoo.system"',
        text='[Model."zoo.system"]\ncommand = ' + _q(SHELL) + "\n",
    ),
    Attempt(
        "section-private-function",
        "",
        '"zoo._private_helper"',
        text='[Model."zoo._private_helper"]\ncommand = ' + _q(SHELL) + "\n",
    ),
]


# Computed '&' values are expressions of the engine's own interpreter (no eval, no attribute
# access on live objects, only min max abs round int float str len): these are refused by the
# checker (any error code: the grammar or the interpreter refuses them) and never run.
EXPRESSION_ATTEMPTS: list[str] = [
    "__import__('os').system('" + SHELL + "')",
    "getattr(width, 'real')",
    "Head.forward(1)",
    "zoo.os.system('" + SHELL + "')",
    "width.__class__.__subclasses__()",
    "len.__call__(width)",
    "(lambda: 1)()",
    "[c for c in ()]",
    "str.join('', ['a'])",
    "Model.Net.__init__",
    "open('{C}', 'w')",
    "exec(\"import os; os.system('" + SHELL + "')\")",
]
