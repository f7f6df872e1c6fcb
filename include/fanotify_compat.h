/*
 * fanotify_compat: fanotify constants newer than the installed headers.
 *
 * The build host may carry kernel headers older than the kernel fimd
 * runs on (glibc 2.36 with linux-libc-dev 6.1 is common).  Each value
 * below is the kernel's ABI value and is defined only when missing, so
 * newer headers win.  Whether the running kernel accepts a flag is found
 * out at run time (EINVAL), never assumed from these.
 */
#ifndef FIMD_FANOTIFY_COMPAT_H
#define FIMD_FANOTIFY_COMPAT_H

#include <sys/fanotify.h>

#ifndef FAN_OPEN_EXEC
#define FAN_OPEN_EXEC		0x00001000	/* 5.0 */
#endif
#ifndef FAN_ATTRIB
#define FAN_ATTRIB		0x00000004	/* 5.1 */
#endif
#ifndef FAN_MOVED_FROM
#define FAN_MOVED_FROM		0x00000040
#endif
#ifndef FAN_MOVED_TO
#define FAN_MOVED_TO		0x00000080
#endif
#ifndef FAN_CREATE
#define FAN_CREATE		0x00000100
#endif
#ifndef FAN_DELETE
#define FAN_DELETE		0x00000200
#endif
#ifndef FAN_DELETE_SELF
#define FAN_DELETE_SELF		0x00000400
#endif
#ifndef FAN_MOVE_SELF
#define FAN_MOVE_SELF		0x00000800
#endif
#ifndef FAN_RENAME
#define FAN_RENAME		0x10000000	/* 5.17 */
#endif
#ifndef FAN_ONDIR
#define FAN_ONDIR		0x40000000
#endif
#ifndef FAN_MARK_FILESYSTEM
#define FAN_MARK_FILESYSTEM	0x00000100	/* 4.20 */
#endif
#ifndef FAN_MARK_EVICTABLE
#define FAN_MARK_EVICTABLE	0x00000200	/* 5.19 */
#endif
#ifndef FAN_MARK_IGNORE
#define FAN_MARK_IGNORE		0x00000400	/* 6.0 */
#endif
#ifndef FAN_MARK_IGNORE_SURV
#define FAN_MARK_IGNORE_SURV	(FAN_MARK_IGNORE | FAN_MARK_IGNORED_SURV_MODIFY)
#endif
#ifndef FAN_REPORT_FID
#define FAN_REPORT_FID		0x00000200	/* 5.1 */
#endif
#ifndef FAN_REPORT_DIR_FID
#define FAN_REPORT_DIR_FID	0x00000400	/* 5.9 */
#endif
#ifndef FAN_REPORT_NAME
#define FAN_REPORT_NAME		0x00000800	/* 5.9 */
#endif
#ifndef FAN_REPORT_DFID_NAME
#define FAN_REPORT_DFID_NAME	(FAN_REPORT_DIR_FID | FAN_REPORT_NAME)
#endif
#ifndef FAN_REPORT_TARGET_FID
#define FAN_REPORT_TARGET_FID	0x00001000	/* 5.17 */
#endif
#ifndef FAN_REPORT_PIDFD
#define FAN_REPORT_PIDFD	0x00000080	/* 5.15 */
#endif
#ifndef FAN_EVENT_INFO_TYPE_FID
#define FAN_EVENT_INFO_TYPE_FID		1
#endif
#ifndef FAN_EVENT_INFO_TYPE_DFID_NAME
#define FAN_EVENT_INFO_TYPE_DFID_NAME	2
#endif
#ifndef FAN_EVENT_INFO_TYPE_DFID
#define FAN_EVENT_INFO_TYPE_DFID	3
#endif
#ifndef FAN_EVENT_INFO_TYPE_PIDFD
#define FAN_EVENT_INFO_TYPE_PIDFD	4
#endif
#ifndef FAN_EVENT_INFO_TYPE_ERROR
#define FAN_EVENT_INFO_TYPE_ERROR	5
#endif
#ifndef FAN_EVENT_INFO_TYPE_OLD_DFID_NAME
#define FAN_EVENT_INFO_TYPE_OLD_DFID_NAME	10
#endif
#ifndef FAN_EVENT_INFO_TYPE_NEW_DFID_NAME
#define FAN_EVENT_INFO_TYPE_NEW_DFID_NAME	12
#endif
#ifndef FAN_NOPIDFD
#define FAN_NOPIDFD		(-1)
#endif

#endif
