"""The app's core: the pieces every page shares (session state and its keys, the active model,
caches, pretrained models, the job queue and its panel, stored page results, image grids and the
heat map, frame figures, the router guard). Core modules import only each other and `aecore`;
each page's view module (`ui/<page>_view.py` and the like) imports only from here, never another
page's view."""
