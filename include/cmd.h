/*
 * cmd: one function per mode of fimd(8).  main() parses flags into a
 * struct fimd_config and calls exactly one of these; each returns the
 * process exit status (exitcode.h) and logs its own errors once.
 */
#ifndef FIMD_CMD_H
#define FIMD_CMD_H

#include "config.h"

int	cmd_init(const struct fimd_config *c);
int	cmd_check(const struct fimd_config *c);
int	cmd_update(const struct fimd_config *c);
int	cmd_query(const struct fimd_config *c);
int	cmd_validate(const struct fimd_config *c);
int	cmd_explain(const struct fimd_config *c);
int	cmd_daemon(const struct fimd_config *c);
int	cmd_status(const struct fimd_config *c);
int	cmd_tail(const struct fimd_config *c);
int	cmd_accept(const struct fimd_config *c);
int	cmd_window(const struct fimd_config *c);
int	cmd_rescan(const struct fimd_config *c);
int	cmd_reopen(const struct fimd_config *c);
int	cmd_verify(const struct fimd_config *c);
int	cmd_recommend(const struct fimd_config *c);

#endif
