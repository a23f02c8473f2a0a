#!/usr/bin/env sh
# Prints the Python to build .venv with: 3.12 (the docker image's) wherever it can be run (on PATH, or a pyenv
# version whose shim is not the active one), else 3.11, else python3.
for candidate in python3.12 "$(ls -d "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.12*/bin/python3.12 2>/dev/null | tail -n 1)" \
                 python3.11 "$(ls -d "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.11*/bin/python3.11 2>/dev/null | tail -n 1)" \
                 python3; do
  [ -n "$candidate" ] || continue
  if "$candidate" -c 'import sys' >/dev/null 2>&1; then
    "$candidate" -c 'import sys; print(sys.executable)'
    exit 0
  fi
done
echo python3
