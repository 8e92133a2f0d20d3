# web/: the agent console and the public pages, installed under
# $(pkgdatadir)/web and served by server/api/static.c.
webdir = $(pkgdatadir)/web
dist_web_DATA = web/index.html web/console.js web/console.css web/favicon.svg web/safety.js \
	web/widget.js web/chat-demo.html web/chat-demo-uk.html
