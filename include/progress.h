/*
 * progress: one self-rewriting status line on stderr for long scans
 * (files, bytes, rate, ETA when the total is known).  Silent when stderr
 * is not a terminal or the caller asked for quiet; redrawn at most a few
 * times a second, so it costs nothing measurable.
 */
#ifndef FIMD_PROGRESS_H
#define FIMD_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>

struct progress {
	bool	 enabled;
	const char *what;
	uint64_t total_files;	/* 0: unknown */
	uint64_t total_bytes;	/* 0: unknown */
	uint64_t files;
	uint64_t bytes;
	double	 start;
	double	 last_draw;
	int	 width;		/* of the last line drawn */
};

void	progress_begin(struct progress *p, const char *what, bool quiet,
	    uint64_t total_files, uint64_t total_bytes);
void	progress_update(struct progress *p, uint64_t files, uint64_t bytes);
/* Erase the line. */
void	progress_end(struct progress *p);

#endif
