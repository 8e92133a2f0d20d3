# channels/chat.mk: the web chat (issue 15), GET /chat/ws and web/widget.js.
librxcore_la_SOURCES += \
	channels/chat.c channels/chat.h \
	channels/chat_session.c channels/chat_session.h \
	channels/chat_agent.c channels/chat_agent.h

INTEGRATION_TESTS += tests/integration/test_chat.py
EXTRA_DIST += docs/chat.md tests/integration/browser/widget.js \
	tests/integration/ws/chat_bench.js
