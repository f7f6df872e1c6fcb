/*
 * Exit statuses of fimd(8).  --check and --update return a bitmask of the
 * first four (AIDE's bits plus Tripwire's 8); every mode returns one of the
 * errors from 16 upwards when it fails.
 */
#ifndef FIMD_EXITCODE_H
#define FIMD_EXITCODE_H

enum exit_status {
	EXIT_OK = 0,
	EXIT_ADDED = 1,		/* files added */
	EXIT_REMOVED = 2,	/* files removed */
	EXIT_CHANGED = 4,	/* files changed */
	EXIT_UNREADABLE = 8,	/* some covered files could not be read */
	EXIT_USAGE = 16,	/* usage error */
	EXIT_BAD_RULES = 17,	/* invalid rules or config */
	EXIT_IO_ERROR = 18,	/* I/O error */
	EXIT_BAD_BASELINE = 19,	/* baseline missing, invalid or tampered */
};

#endif
