# Voila's config on Binder (binder/postBuild copies it to $prefix/etc/jupyter/voila.py),
# read by JupyterLab's Voila (/voila/render/..., the README's "Explorer on Binder" badge)
# and by standalone voila: the same page as `cgiter-edu explore` serves
# (cgiter_edu/widgets/app.py).
from cgiter_edu.widgets.app import voila_prelaunch

# the page's _xsrf cookie: its shutdown request on unload is accepted, so a closed or
# reloaded page frees its kernel (Voila refuses it otherwise: 403, "_xsrf argument missing")
c.VoilaConfiguration.prelaunch_hook = voila_prelaunch  # noqa: F821 - c: the config loader's
# the cgiter template (postBuild copies it to $prefix/share/jupyter/voila/templates): Voila's
# lab template without the Font Awesome stylesheets it asks a CDN for
c.VoilaConfiguration.template = "cgiter"  # noqa: F821
