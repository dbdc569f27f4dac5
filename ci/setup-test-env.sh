# shellcheck shell=bash
# Sourced (bash) by ci/run-tests and ci/run-demo from the repository root. Makes sure that
#   1. the system tools the tests need are there: /usr/sbin/sshd (openssh-server), ssh,
#      ssh-agent, ssh-add, ssh-keygen, ssh-keyscan, sftp (openssh-client) and sudo; when one
#      is missing and we are root they are installed with apt-get;
#   2. a virtualenv with pssh installed editable plus its test extras exists.
# Afterwards $PSSH_PY is that virtualenv's python.
# Environment: PSSH_VENV (default .venv), PSSH_FRESH_VENV=1 recreates it, PYTHON (default
# python3) creates it.

pssh_missing=()
[ -x /usr/sbin/sshd ] || pssh_missing+=(openssh-server)
for pssh_tool in ssh ssh-agent ssh-add ssh-keygen ssh-keyscan sftp; do
    if ! command -v "$pssh_tool" >/dev/null 2>&1; then
        pssh_missing+=(openssh-client)
        break
    fi
done
command -v sudo >/dev/null 2>&1 || pssh_missing+=(sudo)

if [ "${#pssh_missing[@]}" -gt 0 ]; then
    if [ "$(id -u)" -eq 0 ]; then
        echo "ci: installing ${pssh_missing[*]}" >&2
        # Keep the package scripts from starting a system sshd: the tests run their own.
        pssh_policy=
        if [ ! -e /usr/sbin/policy-rc.d ]; then
            printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
            chmod 755 /usr/sbin/policy-rc.d
            pssh_policy=/usr/sbin/policy-rc.d
        fi
        apt-get update -q
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
            openssh-server openssh-client sudo </dev/null
        [ -z "$pssh_policy" ] || rm -f "$pssh_policy"
    elif [ "${pssh_missing[*]}" = sudo ]; then
        echo "ci: sudo is not installed; tests of sudo=True will fail" >&2
    else
        echo "ci: missing ${pssh_missing[*]}; install them as root, e.g." \
            "apt-get install openssh-server openssh-client sudo" >&2
        exit 1
    fi
fi

PSSH_VENV=${PSSH_VENV:-.venv}
if [ "${PSSH_FRESH_VENV:-0}" = 1 ]; then
    rm -rf "$PSSH_VENV"
fi
if [ ! -x "$PSSH_VENV/bin/python" ]; then
    "${PYTHON:-python3}" -m venv "$PSSH_VENV"
fi
PSSH_PY=$PSSH_VENV/bin/python
# (Re)install only when the packaging files changed since the last install into this venv.
pssh_stamp=$PSSH_VENV/.pssh-test-install
pssh_want="$(cat setup.py pyproject.toml | cksum) $PWD"
if [ ! -f "$pssh_stamp" ] || [ "$(cat "$pssh_stamp")" != "$pssh_want" ] ||
    ! "$PSSH_PY" -I -c 'import pssh, pytest, pytest_timeout' 2>/dev/null; then
    if ! "$PSSH_PY" -m pip install --disable-pip-version-check -e '.[test]' \
        </dev/null >"$PSSH_VENV/pip-install.log" 2>&1; then
        cat "$PSSH_VENV/pip-install.log" >&2
        echo "ci: pip install -e '.[test]' failed" >&2
        exit 1
    fi
    echo "$pssh_want" >"$pssh_stamp"
fi
