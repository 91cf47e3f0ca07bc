"""Widgets to *play* with NAS in a notebook: the search dashboard and the search-space editor.

Core ipywidgets and matplotlib only (third-party widget libraries break on Colab)::

    from nasbook.widgets import SearchDashboard, SpaceEditor
    editor = SpaceEditor(); editor                 # toggle choices, watch the size
    dash = SearchDashboard(space=editor); dash     # press Run, then Stop
    dash.result                                    # the last run's SearchResult
"""
from .dashboard import SearchDashboard
from .live import LiveView, render_png, top_table_html
from .space_editor import SpaceEditor

__all__ = ["LiveView", "SearchDashboard", "SpaceEditor", "render_png", "top_table_html"]
