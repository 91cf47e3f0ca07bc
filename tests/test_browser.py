"""The dashboard in a real browser: JupyterLab on 127.0.0.1, Debian's Chromium via Playwright.

The test copies the dashboard part of notebooks/00_index.ipynb (setup, space editor,
dashboard) into a temporary root, starts JupyterLab there (fresh port, random token,
NASBOOK_FAST=1), runs all cells from the Run menu, and then drives the widgets like a
learner: narrows the space with the editor (and sees a refused edit explained), presses
Run and waits for the live plot, table and result; starts a longer run and presses Stop.
Screenshots go to test-artifacts/. The server is always stopped.

It never downloads a browser: it uses /usr/bin/chromium and is skipped, saying so, only
when that file is absent.
"""
import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(),
                       reason=f"Debian's chromium is not installed at {CHROMIUM} "
                              f"(apt-get install chromium); this test never downloads a browser"),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def dashboard_notebook(target: Path) -> None:
    """00_index's setup, editor and dashboard cells (not its longer training cells), plus
    one cell that reads ``dash.result`` the way a learner's next cell would."""
    nb = json.loads((ROOT / "notebooks" / "00_index.ipynb").read_text())
    wanted = ("setup_notebook(", "SpaceEditor()", "SearchDashboard(")
    cells = [c for c in nb["cells"] if c["cell_type"] == "code" and any(w in "".join(c["source"]) for w in wanted)]
    assert len(cells) == 3, "00_index must keep its setup, editor and dashboard cells"
    cells.append({"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
                  "source": ["r = dash.result\n",
                             "print('RESULT', r and r.evaluations, 'trials, interrupted:', r and r.interrupted)"]})
    nb["cells"] = cells
    target.write_text(json.dumps(nb))


def start_lab(root: Path, port: int, token: str) -> subprocess.Popen:
    env = {**os.environ, "NASBOOK_FAST": "1", "PYTHONPATH": str(ROOT),  # the kernel imports this checkout
           "JUPYTER_CONFIG_DIR": str(root / ".cfg"), "JUPYTER_RUNTIME_DIR": str(root / ".runtime"),
           "IPYTHONDIR": str(root / ".ipython"), "JUPYTERLAB_SETTINGS_DIR": str(root / ".settings"),
           "JUPYTERLAB_WORKSPACES_DIR": str(root / ".workspaces")}
    env.pop("MPLBACKEND", None)  # let the kernel use the inline backend, as a learner's does
    settings = root / ".settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    (settings / "notification.jupyterlab-settings").write_text('{"fetchNews": "false", "checkForUpdates": false}')
    cmd = [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
           f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}", "--ServerApp.port_retries=0",
           "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
           "--LabApp.extension_manager=readonly", "--ServerApp.terminals_enabled=False"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")  # CI containers run as root
    log = open(root / "lab.log", "w")
    return subprocess.Popen(cmd, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)


def wait_for_server(url: str, server: subprocess.Popen, timeout: float = 60) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        assert server.poll() is None, "JupyterLab exited during start-up (see lab.log)"
        try:
            with urllib.request.urlopen(url, timeout=2) as reply:
                if reply.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"JupyterLab did not answer at {url} within {timeout} s")


def stop_server(server: subprocess.Popen) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)  # its own session: the server and its kernels
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(5)


def toggle(page, key: str, value: str) -> None:
    """Click the editor's button for ``value`` in the row of ``key``."""
    row = page.locator(".widget-hbox").filter(has=page.locator(".widget-label", has_text=re.compile(f"^{key}$")))
    row.locator("button").filter(has_text=re.compile(f"^{re.escape(value)}$")).click()


def run_all_cells(page, tries: int = 4) -> None:
    """Run > Run All Cells, until the first cell has really run (its output says which
    device). A just-opened JupyterLab can lose the first command while its session settles
    (it then asks for a kernel, and the queued cells are dropped); we simply try again."""
    first_output = page.locator(".jp-CodeCell").first.locator(".jp-OutputArea-output")
    for _ in range(tries):
        page.locator(".lm-MenuBar-itemLabel", has_text=re.compile("^Run$")).click()
        page.locator(".lm-Menu-itemLabel", has_text=re.compile("^Run All Cells$")).click()
        end = time.monotonic() + 30
        while time.monotonic() < end:
            if first_output.count() and "Using" in first_output.first.inner_text():
                return
            time.sleep(0.5)
    raise AssertionError("Run All Cells did not run the notebook")


def progress_count(dashboard) -> int:
    text = dashboard.locator(".widget-hprogress .widget-label").first.inner_text()
    return int(text.split()[0])


@contextlib.contextmanager
def lab_page(root: Path, notebook: str, artifact: str):
    """JupyterLab serving ``root`` (fresh port, random token) and a Chromium page showing
    ``notebook`` with its kernel up; on failure a screenshot ``{artifact}-failure.png``; the
    browser and the server are always stopped, and the server's log kept as ``{artifact}-lab.log``."""
    from playwright.sync_api import expect, sync_playwright

    port, token = free_port(), secrets.token_hex(16)
    ARTIFACTS.mkdir(exist_ok=True)
    server = start_lab(root, port, token)
    try:
        wait_for_server(f"http://127.0.0.1:{port}/api/status?token={token}", server)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            try:
                page = browser.new_page(viewport={"width": 1500, "height": 1100})
                page.set_default_timeout(60_000)
                # JupyterLab sometimes asks which kernel to use although the notebook names one
                page.add_locator_handler(page.get_by_role("button", name="Select Kernel"), lambda b: b.click())
                page.goto(f"http://127.0.0.1:{port}/lab/tree/{notebook}?token={token}")
                page.locator(".jp-Notebook").first.wait_for()
                expect(page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']")).to_have_count(
                    1, timeout=90_000)  # the kernel is up
                page.wait_for_timeout(2000)  # and its session has settled
                yield page
            except BaseException:
                page.screenshot(path=str(ARTIFACTS / f"{artifact}-failure.png"), full_page=True)
                raise
            finally:
                browser.close()
    finally:
        stop_server(server)
        if (root / "lab.log").exists():
            shutil.copy(root / "lab.log", ARTIFACTS / f"{artifact}-lab.log")


def test_dashboard_runs_and_stops_in_jupyterlab(tmp_path):
    from playwright.sync_api import expect

    root = tmp_path / "lab"
    root.mkdir()
    dashboard_notebook(root / "dashboard.ipynb")
    with lab_page(root, "dashboard.ipynb", "browser") as page:
        run_all_cells(page)

        dashboard = page.locator(".widget-vbox").filter(has_text="nasbook · search dashboard").first
        expect(dashboard).to_be_visible(timeout=90_000)
        expect(page.get_by_text("Space size:")).to_contain_text("3,600")

        # the editor in the browser: small, fast networks; one refused edit
        for value in ["2", "3", "4", "5"]:
            toggle(page, "num_hidden_layers", value)
        for value in ["64", "128", "256", "512"]:
            toggle(page, "hidden_layer_size", value)
        expect(page.get_by_text("Space size:")).to_contain_text("144")  # 1·1·3·4·3·4
        toggle(page, "num_hidden_layers", "1")
        expect(page.get_by_text("needs at least one choice")).to_be_visible()
        expect(dashboard.get_by_text("search space:")).to_contain_text("144")
        dashboard.locator(".widget-dropdown").filter(has_text="protocol").locator("select").select_option("article")

        # Run: the live plot, the table and the result appear
        run = dashboard.locator("button").filter(has_text=re.compile(r"^\s*Run\s*$"))
        stop = dashboard.locator("button").filter(has_text=re.compile(r"^\s*Stop\s*$"))
        run.click()
        expect(dashboard.get_by_text("finished:")).to_be_visible(timeout=90_000)
        plot = dashboard.locator("img.widget-image").first
        expect(plot).to_be_visible()
        assert plot.evaluate("img => img.naturalWidth") > 100
        expect(dashboard.get_by_text(re.compile(r"Top \d+ architectures"))).to_be_visible()
        assert progress_count(dashboard) == 3  # budget(20, 3) in NASBOOK_FAST mode
        dashboard.screenshot(path=str(ARTIFACTS / "browser-dashboard-run.png"))

        # the result is there for the next cell
        last_cell = page.locator(".jp-CodeCell").nth(3)  # the cell that reads dash.result
        last_cell.locator(".jp-InputArea-editor").click()
        page.keyboard.press("Control+Enter")  # run it, stay on it
        expect(last_cell.locator(".jp-OutputArea-output")).to_contain_text(
            "RESULT 3 trials, interrupted: False")

        # a long run, stopped after a few trials; finished trials are kept
        budget = dashboard.locator(".widget-inline-hbox").filter(has_text="budget").locator("input")
        budget.fill("5000")
        budget.press("Enter")
        run.click()
        expect(stop).to_be_enabled()
        deadline = time.monotonic() + 60
        while progress_count(dashboard) < 2:
            assert time.monotonic() < deadline, "the second run did not progress"
            time.sleep(0.2)
        stop.click()
        expect(dashboard.get_by_text("stopped:")).to_be_visible(timeout=60_000)
        stopped_at = progress_count(dashboard)
        assert 2 <= stopped_at < 5000
        expect(run).to_be_enabled()
        last_cell.locator(".jp-InputArea-editor").click()
        page.keyboard.press("Control+Enter")  # run it, stay on it
        expect(last_cell.locator(".jp-OutputArea-output")).to_contain_text(
            f"RESULT {stopped_at} trials, interrupted: True")
        dashboard.scroll_into_view_if_needed()
        page.screenshot(path=str(ARTIFACTS / "browser-dashboard.png"), full_page=True)
