"""``python -m kairos``: the ``kairos`` command (:mod:`kairos.cli`)."""

from kairos.cli import run

if __name__ == '__main__':
    run()
