# server/ctl/: rxdeskctl, the admin CLI (docs/rxdeskctl.8): agents,
# customers' import and export, the audit check, routing's explain and
# queue commands, the screening feedback export.
sbin_PROGRAMS += rxdeskctl
rxdeskctl_SOURCES = server/ctl/ctl.c server/ctl/ctl.h \
	server/ctl/ctl_agent.c server/ctl/ctl_audit.c server/ctl/ctl_case.c \
	server/ctl/ctl_customer.c \
	server/ctl/ctl_route.c server/ctl/ctl_route.h \
	server/ctl/ctl_screening.c
rxdeskctl_LDADD = librxcore.la $(RX_LIBS)
