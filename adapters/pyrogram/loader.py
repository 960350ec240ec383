"""Importing `pyrogram` in two steps, so the hello and the crypto ops do not wait for the whole
package (its `__init__` loads the generated TL API: about 1 CPU-second, 3,400 modules).

`light()` puts package objects for `pyrogram` and `pyrogram.raw` into `sys.modules` without
running their `__init__`, so `pyrogram.crypto.*` and `pyrogram.raw.core` import on their own (152
modules, under 0.1 CPU-second). The code under test is the same files either way.
`start_full()` then runs the two real `__init__` files into those package objects on a
background thread; `wait_full()` blocks until that is done (the session ops need it).
"""
import importlib.util
import sys
import threading

from protocol import Hang, distribution

PACKAGES = ("pyrogram", "pyrogram.raw")

_done = threading.Event()
_failed = []


def light():
    """Package objects for `pyrogram` and `pyrogram.raw` whose `__init__` has not run yet."""
    for name in PACKAGES:
        spec = importlib.util.find_spec(name)
        if spec is None or spec.submodule_search_locations is None:
            raise ImportError(f"{name}: not an installed package")
        module = importlib.util.module_from_spec(spec)
        if name == "pyrogram":
            # pyrofork's errors/rpc_error.py reads it; the real __init__ sets the same value
            module.__version__ = distribution()[1]
        sys.modules[name] = module
        if "." in name:
            parent, child = name.rsplit(".", 1)
            setattr(sys.modules[parent], child, module)


def _full():
    try:
        for name in reversed(PACKAGES):  # pyrogram.raw first: pyrogram/__init__ uses it
            module = sys.modules[name]
            module.__spec__.loader.exec_module(module)
        import pyrogram.session.session  # noqa: F401 - the session ops' module
    except BaseException as e:  # noqa: BLE001 - reported to the op that needs it
        _failed.append(e)
    finally:
        _done.set()


def start_full():
    threading.Thread(target=_full, name="pyrogram-import", daemon=True).start()



WAIT_SECONDS = 2.5


def wait_full():
    """Wait for the background import, at most WAIT_SECONDS: below the harness's per-request
    timeout, so a slow import (a loaded machine) costs this request an `internal` answer instead
    of a restart that would start the import all over again."""
    if not _done.wait(WAIT_SECONDS):
        raise Hang(f"pyrogram is still being imported after waiting {WAIT_SECONDS} s for it "
                   "(the machine is loaded); the next requests will find it")
    if _failed:
        raise RuntimeError(f"importing pyrogram failed: {type(_failed[0]).__name__}: {_failed[0]}")
