"""The unit files, checked statically with systemd-analyze (PID 1 need not be systemd)."""
from __future__ import annotations

import ctypes
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pseudocal.service import daemon

ROOT = Path(__file__).resolve().parents[2]
SYSTEM_UNIT = ROOT / "systemd" / "pseudocal.service"
USER_UNIT = ROOT / "systemd" / "pseudocal-user.service"
ADMIN = ROOT / "systemd" / "pseudocal-admin"
ANALYZE = shutil.which("systemd-analyze")
MAX_EXPOSURE = 1.2

needs_analyze = pytest.mark.skipif(ANALYZE is None, reason="systemd-analyze is not installed "
                                   "on this machine; the unit files cannot be checked here")


def directives(unit: Path) -> dict[str, list[str]]:
    """Every `Key=value` of the [Service] section (keys may repeat)."""
    found: dict[str, list[str]] = {}
    section = None
    for line in unit.read_text().splitlines():
        line = line.strip()
        if line.startswith("["):
            section = line
        elif section == "[Service]" and "=" in line and not line.startswith("#"):
            key, value = line.split("=", 1)
            found.setdefault(key, []).append(value)
    return found


def analyze(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([ANALYZE, *args], capture_output=True, text=True, timeout=60,
                          env={**os.environ, **(env or {})})


def runnable_copy(unit: Path, folder: Path) -> Path:
    """The unit with ExecStart pointing at this checkout's pseudocal (which exists here)."""
    binary = Path(sys.executable).with_name("pseudocal")
    text = re.sub(r"^ExecStart=\S+", f"ExecStart={binary}", unit.read_text(), flags=re.M)
    copy = folder / unit.name
    copy.write_text(text)
    return copy


# ---------------------------------------------------------------- system unit


@needs_analyze
def test_the_system_unit_is_hardened_to_an_exposure_of_at_most_1_2():
    done = analyze("security", "--offline=true", "--threshold=12", str(SYSTEM_UNIT))
    assert done.returncode == 0, done.stdout + done.stderr
    score = re.search(r"Overall exposure level for \S+: (\d+\.\d)", done.stdout)
    assert score and float(score.group(1)) <= MAX_EXPOSURE, done.stdout[-300:]


@needs_analyze
def test_systemd_analyze_verify_finds_nothing_wrong_with_the_system_unit(tmp_path):
    copy = runnable_copy(SYSTEM_UNIT, tmp_path)
    done = analyze("verify", "--man=no", str(copy))
    about_unit = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
    assert done.returncode == 0 and about_unit == [], about_unit


@needs_analyze
def test_verify_does_notice_a_missing_binary():
    done = analyze("verify", "--man=no", str(SYSTEM_UNIT))
    assert done.returncode != 0 and "/opt/pseudocal/venv/bin/pseudocal" in done.stderr


def test_the_system_unit_has_what_the_daemon_relies_on():
    unit = directives(SYSTEM_UNIT)
    assert unit["Type"] == ["notify"] and unit["NotifyAccess"] == ["main"]
    assert unit["DynamicUser"] == ["yes"] and unit["StateDirectory"] == ["pseudocal"]
    credentials = {v.split(":", 1)[0] for v in unit["LoadCredentialEncrypted"]}
    assert credentials == {"store-key", "caldav-password"}
    assert unit["ExecStart"] == ["/opt/pseudocal/venv/bin/pseudocal run"]
    assert unit["Environment"] == ["PSEUDOCAL_CONFIG=/etc/pseudocal/config.toml"]
    assert unit["Restart"] == ["on-failure"]
    assert set(unit["RestartPreventExitStatus"][0].split()) == {"3", "4", "5"}


def test_stop_and_watchdog_timeouts_leave_room_for_the_daemon():
    for path in (SYSTEM_UNIT, USER_UNIT):
        unit = directives(path)
        stop = _seconds(unit["TimeoutStopSec"][0])
        assert stop >= 2 * daemon.REQUEST_TIMEOUT  # one request in flight, then the exit
        assert _seconds(unit["WatchdogSec"][0]) >= 4 * daemon.TICK


def _seconds(value: str) -> float:
    number = re.fullmatch(r"(\d+)(s|min)?", value.strip())
    assert number, value
    return int(number.group(1)) * (60 if number.group(2) == "min" else 1)


# ---------------------------------------------------------------- user unit


@needs_analyze
def test_systemd_analyze_verify_finds_nothing_wrong_with_the_user_unit(tmp_path):
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700)
    copy = runnable_copy(USER_UNIT, tmp_path)
    done = analyze("--user", "verify", "--man=no", str(copy),
                   env={"XDG_RUNTIME_DIR": str(runtime)})
    messages = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
    assert done.returncode == 0 and messages == [], messages


def test_the_user_unit_is_a_notify_service_with_plain_files():
    unit = directives(USER_UNIT)
    assert unit["Type"] == ["notify"] and "DynamicUser" not in unit
    assert "LoadCredentialEncrypted" not in unit  # not for user units before systemd 256
    assert unit["ExecStart"][0].startswith("%h/") and "%E/pseudocal/config.toml" in \
        unit["Environment"][0]


# ---------------------------------------------------------------- the admin wrapper


def test_the_admin_wrapper_is_a_valid_executable_shell_script():
    assert os.access(ADMIN, os.X_OK)
    assert subprocess.run(["sh", "-n", str(ADMIN)], capture_output=True).returncode == 0
    text = ADMIN.read_text()
    for credential in directives(SYSTEM_UNIT)["LoadCredentialEncrypted"]:
        assert credential in text  # the same credentials as the service


def test_install_steps_cover_credentials_enabling_status_logs_and_keys():
    steps = (ROOT / "systemd" / "README.md").read_text()
    for needed in ("systemd-creds encrypt", "systemctl enable --now pseudocal",
                   "systemctl status pseudocal", "journalctl -u pseudocal", "pseudocal status",
                   "## Rotating"):
        assert needed in steps, needed


# ---------------------------------------------------------------- MemoryDenyWriteExecute


def _deny_write_execute_supported() -> bool:
    libc = ctypes.CDLL(None, use_errno=True)
    return libc.prctl(65, 0, 0, 0, 0) >= 0  # PR_GET_MDWE (Linux >= 6.3)


@pytest.mark.skipif(not sys.platform.startswith("linux") or not _deny_write_execute_supported(),
                    reason="the kernel has no PR_SET_MDWE (Linux >= 6.3)")
def test_the_daemon_runs_under_memory_deny_write_execute(tmp_path, radicale_url, radicale):
    """The unit sets MemoryDenyWriteExecute=yes: the same kernel rule, applied by prctl."""
    from daemonproc import DaemonProcess, NotifyListener, Practice, calendar_hrefs
    wrapper = tmp_path / "mdwe.py"
    wrapper.write_text("import ctypes, os, sys\n"
                       "assert ctypes.CDLL(None).prctl(65, 1, 0, 0, 0) == 0\n"
                       "os.execv(sys.executable, [sys.executable, *sys.argv[1:]])\n")
    practice = Practice(tmp_path / "p", radicale_url).create(["Jane Example"])
    practice.sessions = [practice.weekly(0)]
    listener = NotifyListener()
    daemon = DaemonProcess(practice.write(), tmp_path / "log",
                           env={"NOTIFY_SOCKET": listener.name}, prefix=(str(wrapper),))
    try:
        listener.wait("STATUS", "ok: 1 created")
        assert len(calendar_hrefs(radicale)) == 1
    finally:
        assert daemon.stop() == 0, daemon.log()
        listener.close()

