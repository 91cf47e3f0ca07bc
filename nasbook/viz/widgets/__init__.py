"""Widgets to *play* with NAS in a notebook: the search dashboard, the search-space editor,
and one per strategy notebook (01: :class:`ArchitectureExplorer`; 03: :class:`BanditWidget`;
04: :class:`EvolutionExplorer`; 05: :class:`MixingWidget`;
06: :class:`BracketExplorer`; 09: :class:`CellEditor`).

Core ipywidgets and matplotlib only (third-party widget libraries break on Colab)::

    from nasbook.viz.widgets import SearchDashboard, SpaceEditor
    editor = SpaceEditor(); editor                 # toggle choices, watch the size
    dash = SearchDashboard(space=editor); dash     # press Run, then Stop
    dash.result                                    # the last run's SearchResult
"""
from nasbook.viz.widgets.bandit import BanditWidget
from nasbook.viz.widgets.brackets import BracketExplorer
from nasbook.viz.widgets.cell_editor import CellEditor
from nasbook.viz.widgets.dashboard import SearchDashboard
from nasbook.viz.widgets.evolution import EvolutionExplorer
from nasbook.viz.widgets.explorer import ArchitectureExplorer
from nasbook.viz.widgets.live import LiveView, render_png, top_table_html
from nasbook.viz.widgets.mixing import MixedLayer, MixingWidget
from nasbook.viz.widgets.space_editor import SpaceEditor

__all__ = ["ArchitectureExplorer", "BanditWidget", "BracketExplorer", "CellEditor", "EvolutionExplorer", "LiveView", "MixedLayer",
           "MixingWidget",
           "SearchDashboard", "SpaceEditor", "render_png", "top_table_html"]
