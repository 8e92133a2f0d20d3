# docs/: manual pages and the documentation.
dist_man_MANS += docs/rxdeskd.8 docs/rxdeskctl.8
EXTRA_DIST += docs/datamodel.md docs/config.md docs/architecture.md

# What an administrator reads on the installed machine (/usr/share/doc/rxdesk).
dist_doc_DATA = README.md docs/operations.md docs/config.md docs/email.md \
	docs/routing.md docs/forms.md docs/api.md docs/safety.md
