"""Where an episode's commands run: a per-episode copy of the task's repository behind one of two backends.

- `LocalSandbox` (no engine): the copy lives in a fresh temporary folder; every command runs under bubblewrap
  (Debian's `bwrap`) with no network (its own network namespace), its own PID namespace (nothing outlives the command),
  the host's system folders read-only, only the copy (/repo) and a private /tmp writable; as root it also runs under a
  fresh unprivileged uid per sandbox, with resource limits (address space, process count, file size) and a per-command
  timeout that kills the whole process group and every process of that uid.
  Without bubblewrap (`bwrap=False`, or not installed) commands still run in their own process group under those
  limits and that uid, but NOTHING stops them from opening network connections or reading the host's files, and
  writes are stopped only by file permissions (the sandbox uid owns nothing but the copy): use it only for trusted
  policies. The env refuses to fall back silently: `backend="local"` needs bwrap unless `bwrap=False` is given.
- `DockerSandbox`: a container from the agentgym/swe-sandbox image (docker/swe-sandbox/Dockerfile) through the docker
  SDK, with network_mode="none", memory, CPU and process limits, commands as an unprivileged user (uid 1000), a
  per-command timeout after which every process of that user in the container is killed (as it is when a command
  ends: background processes do not outlive their command, in either backend), and the container removed at close. Its PID 1 reads stdin with StdinOnce: if the Python process that holds the attach socket dies (even by
  SIGKILL), the engine closes stdin, PID 1 exits and the container (auto_remove) is removed.

Both give the same interface: `exec(argv, timeout)` and `shell(command, timeout)` return a `CommandResult`;
`upload(name, data)` places a file in a read-only staging folder (/stage) that commands can read.
"""

from __future__ import annotations

import io
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

Backend = Literal["local", "docker"]

DEFAULT_IMAGE = "agentgym/swe-sandbox:v0"
REPO_DIR = "/repo"
STAGE_DIR = "/stage"
LOCAL_PYTHON = "/usr/bin/python3"
"""The local sandbox's interpreter (Debian's, with Debian's python3-pytest: the same versions as the docker image)."""
OUTPUT_LIMIT = 1 << 20
"""Bytes of a command's output kept (head and tail); the rest is cut in the middle."""


@dataclass(kw_only=True)
class Limits:
    """Resource limits of every command in a sandbox."""

    timeout_s: float = 30.0
    """Wall-clock limit of one command; past it the command and all its children are killed."""
    memory_mb: int = 2048
    """Memory (local: RLIMIT_AS per process; docker: the container's memory and swap limit)."""
    processes: int = 128
    """Processes and threads at once (local: RLIMIT_NPROC of the sandbox uid; docker: pids_limit)."""
    cpus: float = 1.0
    """CPUs (docker only: nano_cpus; local commands are bounded by the timeout instead)."""
    file_size_mb: int = 256
    """Largest file a command may write (local: RLIMIT_FSIZE), which also caps its captured output."""

    def __post_init__(self) -> None:
        for name in ("timeout_s", "memory_mb", "processes", "cpus", "file_size_mb"):
            if getattr(self, name) <= 0:
                raise ValueError(f"sandbox limit {name} must be > 0, got {getattr(self, name)!r}")


@dataclass
class CommandResult:
    """One command's outcome. exit_code is None when the command was killed at its timeout."""

    exit_code: int | None
    output: str
    timed_out: bool
    seconds: float


class SandboxError(RuntimeError):
    """The sandbox itself failed (the container died, the engine went away): the episode cannot go on."""


def _cut_middle(data: bytes, limit: int = OUTPUT_LIMIT) -> bytes:
    if len(data) <= limit:
        return data
    half = limit // 2
    return data[:half] + f"\n[... {len(data) - 2 * half} bytes cut ...]\n".encode() + data[-half:]


class Sandbox:
    """The interface both backends give."""

    python: str = "python3"
    """The interpreter inside the sandbox that has pytest."""
    repo_dir: str = REPO_DIR

    def exec(self, argv: list[str], *, timeout: float | None = None, env: dict[str, str] | None = None
             ) -> CommandResult:
        raise NotImplementedError

    def shell(self, command: str, *, timeout: float | None = None, env: dict[str, str] | None = None
              ) -> CommandResult:
        return self.exec(["bash", "-c", command], timeout=timeout, env=env)

    def upload(self, name: str, data: bytes) -> str:
        """Put `data` at /stage/NAME (read-only to commands); returns that path as commands see it."""
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


# ---------------------------------------------------------------------------------------------------------------------
# local: a copy in a temporary folder, bubblewrap, rlimits, a uid of its own
# ---------------------------------------------------------------------------------------------------------------------
def bwrap_path() -> str | None:
    return shutil.which("bwrap")


def _uid_processes(uid: int) -> list[int]:
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.stat(f"/proc/{entry}").st_uid != uid:
                    continue
                with open(f"/proc/{entry}/stat", "rb") as f:
                    state = f.read().rsplit(b")", 1)[1].split()[0]
            except (OSError, IndexError):
                continue
            if state not in (b"Z", b"X"):  # a zombie cannot be killed; its parent reaps it
                pids.append(int(entry))
    return pids


def _kill_uid(uid: int) -> None:
    """SIGKILL every process of `uid` until none is left (a fork loop may spawn while we kill)."""
    for _ in range(50):
        pids = _uid_processes(uid)
        if not pids:
            return
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        time.sleep(0.01)


def _local_cleanup(root: str, uid: int | None, procs: set) -> None:
    # Runs at close(), at garbage collection (weakref.finalize) and at interpreter exit.
    for p in list(procs):
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except OSError:
            pass
    if uid is not None:
        _kill_uid(uid)
    shutil.rmtree(root, ignore_errors=True)


class LocalSandbox(Sandbox):
    """See the module docstring. `template` is copied into a fresh folder that commands see as /repo."""

    def __init__(self, template: Path, *, limits: Limits | None = None, bwrap: bool = True,
                 python: str | None = None):
        self.limits = limits or Limits()
        self.use_bwrap = bool(bwrap)
        if self.use_bwrap and bwrap_path() is None:
            raise RuntimeError("the local sandbox needs bubblewrap (`apt-get install bubblewrap`) to deny network "
                               "access and writes outside the task; pass bwrap=False to run without it (trusted "
                               "policies only), or use backend='docker'")
        # The interpreter with pytest: Debian's python3 and python3-pytest, the same the docker image has, and under
        # /usr, which every sandbox uid can read (a venv's interpreter may live in a home folder it cannot).
        self.python = python or LOCAL_PYTHON
        if not os.access(self.python, os.X_OK):
            raise RuntimeError(f"the local sandbox runs tests with {self.python}, which is not there: "
                               "apt-get install python3 python3-pytest (scripts/setup.sh --dev does)")
        self._root = tempfile.mkdtemp(prefix="agentgym-swe-")
        os.chmod(self._root, 0o755)
        self._copy = os.path.join(self._root, "repo")
        self._stage = os.path.join(self._root, "stage")
        self._tmp = os.path.join(self._root, "tmp")  # only used without bwrap (bwrap gives a private tmpfs)
        shutil.copytree(template, self._copy, symlinks=True)
        os.makedirs(self._stage)
        os.makedirs(self._tmp)
        # As root, a fresh uid per sandbox: RLIMIT_NPROC then counts only this sandbox's processes (root itself is
        # exempt from it), the copy is the only thing it owns, and cleanup can find every process it started.
        self.uid: int | None = None
        if os.geteuid() == 0:
            self.uid = 2_000_000 + secrets.randbelow(1_000_000)
            for base, dirs, files in os.walk(self._copy):
                for n in [base, *(os.path.join(base, f) for f in dirs + files)]:
                    os.lchown(n, self.uid, self.uid)
            os.chown(self._tmp, self.uid, self.uid)
        self.repo_dir = REPO_DIR if self.use_bwrap else self._copy
        self._stage_seen = STAGE_DIR if self.use_bwrap else self._stage
        self._prlimit = shutil.which("prlimit")
        self._procs: set = set()
        self._closed = False
        self._finalizer = weakref.finalize(self, _local_cleanup, self._root, self.uid, self._procs)

    @property
    def host_copy(self) -> str:
        """The copy's folder on the host (tests read it; an env never lets the agent name host paths)."""
        return self._copy

    def _limited(self, argv: list[str]) -> list[str]:
        """The limits through util-linux's prlimit rather than a preexec_fn, which is unsafe in a threaded process
        (the thread runner) and forces the slow fork path."""
        if self._prlimit is None:
            return argv
        lim = self.limits
        cmd = [self._prlimit, f"--as={lim.memory_mb << 20}", f"--fsize={lim.file_size_mb << 20}", "--core=0"]
        if self.uid is not None:
            cmd.append(f"--nproc={lim.processes}")
        return cmd + ["--", *argv]

    def _identity(self) -> dict[str, Any]:
        if self._prlimit is None:
            return {"preexec_fn": self._preexec}
        if self.uid is None:
            return {}
        return {"user": self.uid, "group": self.uid, "extra_groups": []}

    def _preexec(self) -> None:
        import resource

        mem = self.limits.memory_mb << 20
        resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
        resource.setrlimit(resource.RLIMIT_FSIZE, (self.limits.file_size_mb << 20,) * 2)
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        if self.uid is not None:
            resource.setrlimit(resource.RLIMIT_NPROC, (self.limits.processes, self.limits.processes))
            os.setgroups([])
            os.setgid(self.uid)
            os.setuid(self.uid)

    def _argv(self, argv: list[str], env: dict[str, str]) -> list[str]:
        if not self.use_bwrap:
            return argv
        cmd = ["bwrap", "--unshare-all", "--die-with-parent", "--new-session",
               "--ro-bind", "/usr", "/usr", "--ro-bind", "/etc", "/etc"]
        for link in ("bin", "lib", "lib64", "sbin"):
            target = os.path.join("/", link)
            if os.path.islink(target):
                cmd += ["--symlink", os.readlink(target), target]
            elif os.path.isdir(target):
                cmd += ["--ro-bind", target, target]
        cmd += ["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "--bind", self._copy, REPO_DIR,
                "--ro-bind", self._stage, STAGE_DIR, "--remount-ro", "/", "--chdir", REPO_DIR, "--clearenv"]
        for k, v in env.items():
            cmd += ["--setenv", k, v]
        return cmd + ["--", *argv]

    def _env(self, extra: dict[str, str] | None) -> dict[str, str]:
        env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": "/tmp" if self.use_bwrap else self._tmp,
               "TMPDIR": "/tmp" if self.use_bwrap else self._tmp, "LANG": "C.UTF-8", "PYTHONDONTWRITEBYTECODE": "1",
               "PYTHONUNBUFFERED": "1", "GIT_CONFIG_NOSYSTEM": "1"}
        env.update(extra or {})
        return env

    def exec(self, argv: list[str], *, timeout: float | None = None, env: dict[str, str] | None = None
             ) -> CommandResult:
        if self._closed:
            raise SandboxError("the sandbox is closed")
        timeout = self.limits.timeout_s if timeout is None else timeout
        full_env = self._env(env)
        start = time.monotonic()
        with tempfile.TemporaryFile(dir=self._root) as out:
            try:
                proc = subprocess.Popen(self._limited(self._argv(argv, full_env)), stdin=subprocess.DEVNULL,
                                        stdout=out, stderr=subprocess.STDOUT, cwd=self._copy, env=full_env,
                                        start_new_session=True, **self._identity())
            except OSError as e:
                raise SandboxError(f"could not start a command in the local sandbox: {e}") from e
            self._procs.add(proc)
            timed_out = False
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                timed_out = True
            finally:
                self._kill_leftovers(proc)
                self._procs.discard(proc)
            out.seek(0)
            data = _cut_middle(out.read(OUTPUT_LIMIT * 4))
        code = None if timed_out else proc.returncode
        return CommandResult(code, data.decode("utf-8", "replace"), timed_out, time.monotonic() - start)

    def _kill_leftovers(self, proc: subprocess.Popen) -> None:
        # The command's process group, then (as root) every process of the sandbox uid: with bwrap the PID namespace
        # already died with its first process; without it, background jobs would otherwise outlive the command.
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except OSError:
            pass
        if proc.poll() is None:
            proc.wait()
        if self.uid is not None:
            _kill_uid(self.uid)

    def upload(self, name: str, data: bytes) -> str:
        if "/" in name or name in ("", ".", ".."):
            raise ValueError(f"upload names are plain file names, got {name!r}")
        path = os.path.join(self._stage, name)
        with open(path, "wb") as f:
            f.write(data)
        os.chmod(path, 0o644)
        return f"{self._stage_seen}/{name}"

    def close(self) -> None:
        self._closed = True
        self._finalizer()


# ---------------------------------------------------------------------------------------------------------------------
# docker
# ---------------------------------------------------------------------------------------------------------------------
def docker_client() -> Any:
    try:
        import docker
    except ImportError as e:
        raise ImportError("the docker sandbox needs the docker SDK: install it with `pip install 'agentgym[swe]'`"
                          ) from e
    try:
        client = docker.from_env(timeout=60)
        client.ping()
    except Exception as e:
        raise SandboxError(f"no docker engine answers ({type(e).__name__}: {e}); start dockerd (CI's .ci/run does) "
                           "or use backend='local'") from e
    return client


def engine_available() -> bool:
    try:
        docker_client()
        return True
    except (ImportError, SandboxError):
        return False


def tar_of(folder: Path, arcname: str, uid: int = 1000) -> bytes:
    """The folder as a tar whose entries belong to `uid` (the sandbox user), for put_archive."""
    buf = io.BytesIO()

    def owned(ti: tarfile.TarInfo) -> tarfile.TarInfo:
        ti.uid = ti.gid = uid
        ti.uname = ti.gname = ""
        return ti

    with tarfile.open(fileobj=buf, mode="w") as tar:
        tar.add(str(folder), arcname=arcname, filter=owned)
    return buf.getvalue()


def _docker_cleanup(client: Any, container_id: str, sock: Any) -> None:
    try:
        if sock is not None:
            sock.close()
    except Exception:
        pass
    try:
        client.api.remove_container(container_id, force=True)
    except Exception:  # already gone (auto_remove) or the engine is down; nothing more to do
        pass


class DockerSandbox(Sandbox):
    """See the module docstring. The repository tar (from `tar_of`) is unpacked into /repo of a new container."""

    LABEL = "agentgym.swe"

    def __init__(self, repo_tar: bytes, *, image: str = DEFAULT_IMAGE, limits: Limits | None = None,
                 user: str = "1000:1000", repo_dir: str = REPO_DIR, python: str = "python3",
                 stage_dir: str = STAGE_DIR, client: Any = None):
        self.limits = limits or Limits()
        self.client = client or docker_client()
        self.image = image
        self.user = user
        self.repo_dir = repo_dir
        # our image has a read-only /stage; another image (a SWE-bench instance image) has /tmp
        self.stage_dir = stage_dir
        self.python = python
        self._closed = False
        self._sock = None
        try:
            self.client.images.get(image)
        except Exception as e:
            raise SandboxError(f"docker image {image!r} is not there ({type(e).__name__}); build it: "
                               "docker/swe-sandbox/build_base.sh && docker build --build-arg "
                               f"BASE=agentgym/swe-base:bookworm -t {image} docker/swe-sandbox") from e
        api = self.client.api
        host_config = api.create_host_config(
            init=True, network_mode="none", mem_limit=f"{self.limits.memory_mb}m", memswap_limit=f"{self.limits.memory_mb}m",
            nano_cpus=int(self.limits.cpus * 1e9), pids_limit=self.limits.processes, auto_remove=True,
            security_opt=["no-new-privileges"], cap_drop=["ALL"], cap_add=["CHOWN", "DAC_OVERRIDE", "FOWNER",
                                                                          "KILL", "SETUID", "SETGID"])
        # stdin_open without detach makes the SDK set StdinOnce: the engine closes stdin when the attach goes away.
        created = api.create_container(image, command=["sh", "-c", "read _ ; exit 0"], stdin_open=True,
                                       host_config=host_config, working_dir=repo_dir,
                                       labels={self.LABEL: str(os.getpid())}, network_disabled=True)
        self.container_id: str = created["Id"]
        self._finalizer = weakref.finalize(self, _docker_cleanup, self.client, self.container_id, None)
        try:
            # The dead-man switch: attach stdin before start; when this process goes, the engine closes it.
            self._sock = api.attach_socket(self.container_id, params={"stdin": 1, "stream": 1})
            self._finalizer.detach()
            self._finalizer = weakref.finalize(self, _docker_cleanup, self.client, self.container_id, self._sock)
            api.start(self.container_id)
            if repo_tar:
                parent = os.path.dirname(repo_dir.rstrip("/")) or "/"
                if not api.put_archive(self.container_id, parent, repo_tar):
                    raise SandboxError(f"could not copy the repository into the container at {repo_dir}")
        except Exception:
            self.close()
            raise

    def exec(self, argv: list[str], *, timeout: float | None = None, env: dict[str, str] | None = None,
             user: str | None = None) -> CommandResult:
        if self._closed:
            raise SandboxError("the sandbox is closed")
        timeout = self.limits.timeout_s if timeout is None else timeout
        api = self.client.api
        start = time.monotonic()
        user = user or self.user
        if user.split(":")[0] not in ("0", "root"):
            # Nothing outlives its command (as in the local sandbox, whose PID namespace dies with it): the wrapper
            # kills every other process of the sandbox user when the command ends, so a fork bomb or a forgotten
            # server cannot hold the container's process budget. Root (a SWE-bench image) would kill PID 1's child.
            argv = ["sh", "-c", 'rc=0; "$@" || rc=$?; kill -KILL -1 2>/dev/null; kill -KILL -1 2>/dev/null; exit $rc',
                    "sh", *argv]
        else:
            # as root, the command gets a session and process group of its own, whose id the timeout kill reads
            self._n_exec = getattr(self, "_n_exec", 0) + 1
            argv = ["setsid", "--wait", "sh", "-c", f'echo $$ > /tmp/.agentgym-cmd-{self._n_exec}.pgid; exec "$@"', "sh", *argv]
        try:
            eid = api.exec_create(self.container_id, argv, user=user, workdir=self.repo_dir,
                                  environment=env or {})["Id"]
            stream = api.exec_start(eid, stream=True)
        except Exception as e:
            raise SandboxError(f"the container is gone or the engine failed ({type(e).__name__}: {e})") from e
        chunks: list[bytes] = []
        size = [0]

        def read() -> None:
            try:
                for chunk in stream:
                    if size[0] < OUTPUT_LIMIT * 4:
                        chunks.append(chunk)
                    size[0] += len(chunk)
            except Exception:
                pass

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        reader.join(timeout)
        timed_out = reader.is_alive()
        if timed_out:
            self._kill_user_processes()
            reader.join(10)
        try:
            code = None if timed_out else api.exec_inspect(eid).get("ExitCode")
        except Exception as e:
            raise SandboxError(f"the container is gone ({type(e).__name__}: {e})") from e
        if not timed_out and code is None:
            raise SandboxError("the command's exec has no exit code: the container died under it")
        data = _cut_middle(b"".join(chunks))
        return CommandResult(code, data.decode("utf-8", "replace"), timed_out, time.monotonic() - start)

    def _kill_user_processes(self) -> None:
        # Every process of the sandbox user: the timed-out command, its children, whatever it left in the background.
        uid = self.user.split(":")[0]
        argv = ["pkill", "-KILL", "-U", uid]
        if uid in ("0", "root"):
            argv = ["sh", "-c", f"kill -KILL -- -$(cat /tmp/.agentgym-cmd-{getattr(self, '_n_exec', 0)}.pgid)"]
        try:
            eid = self.client.api.exec_create(self.container_id, argv, user="0:0")["Id"]
            self.client.api.exec_start(eid)
        except Exception:
            pass

    def upload(self, name: str, data: bytes) -> str:
        if "/" in name or name in ("", ".", ".."):
            raise ValueError(f"upload names are plain file names, got {name!r}")
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w") as tar:
            ti = tarfile.TarInfo(name)
            ti.size, ti.mode = len(data), 0o644
            tar.addfile(ti, io.BytesIO(data))
        try:
            self.client.api.put_archive(self.container_id, self.stage_dir, buf.getvalue())
        except Exception as e:
            raise SandboxError(f"could not write into the container ({type(e).__name__}: {e})") from e
        return f"{self.stage_dir}/{name}"

    def close(self) -> None:
        self._closed = True
        self._finalizer()


def leftover_containers(client: Any = None) -> list[str]:
    """Ids of containers this machine's SWE sandboxes started that still exist (tests check it is empty)."""
    client = client or docker_client()
    return [c["Id"] for c in client.api.containers(all=True, filters={"label": DockerSandbox.LABEL})]
