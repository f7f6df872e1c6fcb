/*
 * daemon_window: the daemon's change windows (private to the daemon).
 *
 * Loads the windows file at start-up (a damaged one stops the start,
 * exit 19, and is kept for the administrator), closes the windows that
 * expired while the daemon was down, closes each window when it
 * expires, and serves the control socket's "window" verb: open, close
 * (with --accept: the window's changed paths are taken into the baseline
 * as accepted, with the window's reason) and list.  Opening and closing
 * write a window_opened / window_closed record to the alert stream and
 * save the file at once; the counts daemon_out adds are saved with the
 * baseline.  Owns struct daemon_windows.
 */
#ifndef FIMD_DAEMON_WINDOW_H
#define FIMD_DAEMON_WINDOW_H

#include <jansson.h>

#include "daemon_state.h"
#include "exitcode.h"

/* Load the file; EXIT_OK or EXIT_BAD_BASELINE / EXIT_IO_ERROR (logged). */
enum exit_status daemon_window_open(struct daemon *d);
/* After the "started" record: close what expired, arm the timer. */
void	daemon_window_start(struct daemon *d);
/* Save when the counts changed (logged on failure). */
void	daemon_window_save(struct daemon *d);
/* Save if needed and free. */
void	daemon_window_close(struct daemon *d);
/* The control verb: req "action" is "open", "close" or "list". */
int	daemon_window_verb(const json_t *req, json_t *reply, void *arg);

#endif
