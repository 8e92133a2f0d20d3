# server/api/: what agents, supervisors and browsers ask of the daemon: the
# REST handlers (/api/v1/...), the agent WebSocket, the static console.
# See docs/api.md and docs/live.md.
librxcore_la_SOURCES += \
	server/api/agentws.c server/api/agentws.h \
	server/api/api_agent.c server/api/api_agent.h \
	server/api/api_case.c server/api/api_case.h \
	server/api/api_error.c server/api/api_error.h \
	server/api/api_complaint.c server/api/api_complaint.h \
	server/api/api_console.c server/api/api_console.h \
	server/api/api_customer.c server/api/api_customer.h \
	server/api/api_screening.c server/api/api_screening.h \
	server/api/api_supervisor.c server/api/api_supervisor.h \
	server/api/api_ticket.c server/api/api_ticket.h \
	server/api/static.c server/api/static.h

EXTRA_DIST += docs/api.md docs/live.md docs/customers.md docs/console.md
