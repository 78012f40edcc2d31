# JupyterLab for readers of the book (`make lab`): the chapters open as notebooks (jupytext),
# the kernel is the project's .venv (it imports `analysis`; DATA=/AES=/MAP=/ADAM= reach it as
# BOOK_* variables), and nothing is fetched from the internet: no news, no update check, no
# extension listing from PyPI.
from pathlib import Path

HERE = Path(__file__).resolve().parent

c = get_config()  # noqa: F821
c.ServerApp.root_dir = str(HERE.parent.parent)
c.ServerApp.ip = "127.0.0.1"
c.LabApp.default_url = "/lab/tree/book/intro.md"
# overrides.json: Markdown files open as notebooks; no news in the notification centre
c.LabApp.app_settings_dir = str(HERE / "lab" / "settings")
c.LabApp.news_url = None
c.LabApp.check_for_updates_class = "jupyterlab.NeverCheckForUpdate"
c.LabApp.extension_manager = "readonly"
