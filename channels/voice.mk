# channels/voice.mk: telephony (issue 16), POST /api/v1/voice/twilio and
# /api/v1/voice/cti, PUT /api/v1/agents/{id}/voice (docs/voice.md).
librxcore_la_SOURCES += \
	channels/voice.c channels/voice.h \
	channels/voice_twilio.c channels/voice_twilio.h \
	channels/voice_cti.c channels/voice_cti.h \
	channels/voice_agent.c channels/voice_agent.h

INTEGRATION_TESTS += tests/integration/test_voice.py
EXTRA_DIST += docs/voice.md tests/integration/voice_sign.js bench/case_voice.py \
	bench/wrk_voice.lua
