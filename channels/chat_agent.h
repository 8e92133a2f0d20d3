/*
 * chat_agent: the agent's side of the web chat, as commands on /agent/ws
 * (server/api/agentws.h): chat.reply, chat.typing, chat.read,
 * chat.transfer, chat.close (docs/chat.md, The agent's side). What the
 * customer says reaches the agent as the ticket's events.
 */
#ifndef RX_CHAT_AGENT_H
#define RX_CHAT_AGENT_H

/* Register the commands with agentws; call once at start, after agentws. */
void chat_agent_start(void);

#endif
