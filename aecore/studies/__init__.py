"""The studies behind single pages of the app, and the app's job catalogue.

The library (everything in `aecore` outside this folder) trains, loads, measures and uses
autoencoders; a study here puts those pieces together for one page: the Capacity page's sweeps, the
Compression page's rate-distortion curves, the Denoise lab's ladders and curves, the zoo's stored
page results, the jobs the app's worker queue runs. Studies import the library; the library never
imports a study (tests/test_ui_structure.py holds that), so `pip install aecore` users get a core
they can read without the app's pages.

Import a study by its module, e.g. `from aecore.studies import compression`: this package imports
nothing on its own, so loading one study does not load the others.
"""


def __getattr__(name: str):
    """`aecore.studies.compression` and the like load on first use (PEP 562)."""
    import importlib
    import pkgutil

    if name in {m.name for m in pkgutil.iter_modules(__path__)}:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
