/*
 * queue_config: "[queue NAME]" sections, turned into the definitions
 * rx_route_queue_set stores in rx:qdef:<queue> (docs/routing.md):
 *
 *   [queue medinfo]
 *   skills = medinfo
 *   strategy = leastrecent        ; fewestcalls rrmemory skillweighted
 *   aging = 600                   ; seconds one priority level is worth
 *   overflow = general
 *   overflow_timeout = 1800
 *   sticky_wait = 30
 *   mail_release = no             ; an agent's mail goes back when they drop
 *   pending_release = no          ; a pending ticket frees its agent's place
 *   lang_match = yes
 *   sla_first = urgent:900, high:3600, *:14400
 *   sla_next = *:28800
 *   sla_resolution = *:432000
 *   hours = mon-fri 09:00-18:00, sat 10:00-14:00
 *   tz = +02:00
 *   holidays = 2026-12-25, 2027-01-01
 *   breach_raise = yes
 *   breach_overflow = yes
 */
#ifndef RX_QUEUE_CONFIG_H
#define RX_QUEUE_CONFIG_H

typedef struct json_t json_t;

#define QUEUE_CONFIG_MAX	128

/* Register the "[queue]" section hook; before config_load. */
void queue_config_register(void);
/* Put the queues just loaded in force. */
void queue_config_commit(void);
/* The queues in force: a JSON object {name: {field: value}} (borrowed). */
json_t *queue_config_all(void);
/* The queues just loaded, not yet in force (borrowed; NULL: none). */
json_t *queue_config_staged(void);
/* Free everything. */
void queue_config_free(void);

#endif
