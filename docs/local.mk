# docs/: manual pages and the documentation.
dist_man_MANS += docs/rxdeskd.8 docs/rxdeskctl.8
EXTRA_DIST += docs/datamodel.md docs/config.md docs/architecture.md
