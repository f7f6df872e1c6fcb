/* --daemon and --foreground: the real-time monitor (daemon.h). */
#include "cmd.h"
#include "daemon.h"

int
cmd_daemon(const struct fimd_config *c)
{
	return daemon_run(c, !c->foreground);
}
