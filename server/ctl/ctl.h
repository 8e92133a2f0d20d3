/*
 * ctl: rxdeskctl, the admin CLI. It reads the daemon's configuration,
 * connects to the same Redis (the embedded one through
 * <data_dir>/redis.sock when redis.url is empty) on its own event loop,
 * loads the function library, and runs one command from the table in
 * ctl.c. Adding a command is one line in that table and a function, in
 * its own file, declared here:
 *   { "agent", "add", "--name N --email E --roles R", ctl_agent_add },
 * A command's function runs once Redis is ready; it works asynchronously
 * and calls ctl_finish with the exit status when it is done.
 */
#ifndef RX_CTL_H
#define RX_CTL_H

struct config;
struct event_base;

/* Run a command: ARGV[0] is the command's last word, then its arguments.
 * Return 0 if it is running (ctl_finish follows), or an exit status. */
typedef int ctl_fn(int argc, char **argv);

struct ctl_command {
	const char *group;	/* "customer" */
	const char *name;	/* "import" */
	const char *args;	/* synopsis of the arguments, for usage */
	ctl_fn *fn;
};

/* The loaded configuration. */
const struct config *ctl_config(void);
/* The event loop the commands run on. */
struct event_base *ctl_base(void);
/* End the run with exit STATUS (0 ok, 1 failure, 2 usage). */
void ctl_finish(int status);

/* server/ctl/ctl_audit.c: walk the audit chain, report the first broken link */
int ctl_audit_verify(int, char **);
/* case export [--csv|--e2b] [--output FILE] (ID | --from DATE [--to DATE]) */
int ctl_case_export(int, char **);
/* key rotate: seal every case under the newest key */
int ctl_key_rotate(int, char **);

/* server/ctl/ctl_customer.c */
int ctl_customer_import(int, char **);
int ctl_customer_export(int, char **);

/* server/ctl/ctl_screening.c: confirmed and rejected messages as labelled data */
int ctl_screening_export(int, char **);

/* server/ctl/ctl_agent.c */
int ctl_agent_add(int, char **);
int ctl_agent_list(int, char **);

#endif
