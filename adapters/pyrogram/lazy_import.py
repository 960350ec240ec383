"""Import `pyrogram` without loading its whole generated TL API (about 4,000 modules, 1-2
CPU-seconds: most of a wire case's time, since the harness starts the driver once per case).

Only the packages' `__init__.py` files change how they load; every other module is the fork's
file, imported unchanged when first used. Each `__init__.py` under `pyrogram` runs as written
except its top-level relative imports (`from .x import A`, `from . import x`): those become
names the package resolves on first access (a module `__getattr__`). A name the `__init__`
itself uses at top level stays an eager import, and `from .x import *` stays eager (its names
are not known before it runs).

One `__init__` is not run: `pyrogram/raw/__init__.py` turns every entry of
`pyrogram.raw.all.objects` (constructor id -> "pyrogram.raw.types.Pong") into its class at
import time, which is the import of the whole API. Here each entry becomes a stand-in whose
`read` imports the class, puts it into `objects` in the stand-in's place (what the fork's
`__init__` would have stored there) and reads with it. `TLObject.read` (the fork's receive path)
looks constructors up in that same dict and calls `.read` on what it finds: the same classes,
the same code, loaded on first use.
"""
import ast
import importlib
import importlib.machinery
import sys

ROOT = "pyrogram"
RAW = "pyrogram.raw"


def _lazy_source(source, filename, package):
    """The `__init__` source with its deferrable relative imports taken out, and the names they
    bound: {name: (absolute module, attribute or None for a submodule)}."""
    tree = ast.parse(source, filename)
    used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    lazy, body = {}, []
    for stmt in tree.body:
        if isinstance(stmt, ast.ImportFrom) and stmt.level == 1 and \
                not any(a.name == "*" for a in stmt.names) and \
                not any((a.asname or a.name) in used for a in stmt.names):
            for a in stmt.names:
                if stmt.module is None:
                    lazy[a.asname or a.name] = (f"{package}.{a.name}", None)
                else:
                    lazy[a.asname or a.name] = (f"{package}.{stmt.module}", a.name)
            continue
        body.append(stmt)
    tree.body = body
    return tree, lazy


def _install_getattr(module, lazy):
    def __getattr__(name):
        try:
            target, attr = lazy[name]
        except KeyError:
            raise AttributeError(f"module {module.__name__!r} has no attribute {name!r}") from None
        value = importlib.import_module(target)
        if attr is not None:
            value = getattr(value, attr)
        setattr(module, name, value)
        return value

    module.__getattr__ = __getattr__


class _Resolver:
    """A stand-in for one entry of `pyrogram.raw.all.objects` until it is first read."""

    __slots__ = ("key", "path")

    def __init__(self, key, path):
        self.key, self.path = key, path

    def resolve(self):
        from pyrogram.raw import all as tl_all
        module, name = self.path.rsplit(".", 1)
        cls = getattr(importlib.import_module(module), name)
        tl_all.objects[self.key] = cls
        return cls

    def read(self, *args, **kwargs):
        return self.resolve().read(*args, **kwargs)


class _LazyInitLoader(importlib.machinery.SourceFileLoader):
    def exec_module(self, module):
        name = module.__name__
        if name == RAW:
            lazy = {sub: (f"{RAW}.{sub}", None) for sub in ("types", "functions", "base", "core")}
            module.__all__ = ["types", "functions", "base", "core"]
            _install_getattr(module, lazy)
            from pyrogram.raw import all as tl_all
            for key, path in list(tl_all.objects.items()):
                if isinstance(path, str):
                    tl_all.objects[key] = _Resolver(key, path)
            module.objects = tl_all.objects
            return
        source = self.get_data(self.path).decode("utf-8")
        tree, lazy = _lazy_source(source, self.path, name)
        _install_getattr(module, lazy)
        exec(compile(tree, self.path, "exec"), module.__dict__)  # noqa: S102 - the fork's own file


class _Finder:
    """A meta path finder for `pyrogram` and its subpackages (importlib.abc would cost 50 ms)."""

    def find_spec(self, fullname, path, target=None):
        if fullname != ROOT and not fullname.startswith(ROOT + "."):
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or spec.origin is None or not spec.origin.endswith("__init__.py"):
            return spec
        spec.loader = _LazyInitLoader(fullname, spec.origin)
        return spec


def install():
    """Make every later `import pyrogram...` lazy as described above (before the first one)."""
    if ROOT in sys.modules:
        raise RuntimeError("pyrogram was imported before lazy_import.install()")
    sys.meta_path.insert(0, _Finder())
