# scripts/: set-up and demo scripts, shipped in the tarball.
EXTRA_DIST += scripts/bootstrap scripts/run scripts/check .ci/run
EXTRA_DIST += scripts/demo scripts/demo-data.csv scripts/gen-demo-data.py
