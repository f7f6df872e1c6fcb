/*
 * alert_int: what the alert module's files share (not for other modules).
 *
 * alert.c owns the stream and the object's skeleton; alert_fields.c
 * builds the file, process, user and change sections; alert_state.c the
 * daemon's started, stopped and checkpoint records; alert_entity.c the
 * alerts about ports and packages.
 */
#ifndef FIMD_ALERT_INT_H
#define FIMD_ALERT_INT_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "alert.h"

#define NAME_CACHE	64	/* uid and gid names remembered, each */

struct name_entry {
	bool	 used;
	uint32_t id;
	char	*name;		/* NULL: the id has no name */
};

struct alert_stream {
	char	*backend;
	uint64_t next_seq;
	char	 host[256];
	char	 host_id[64];	/* /etc/machine-id, or "" */
	char	 id_prefix[33];	/* random per stream; event.id = prefix-seq */
	struct name_entry users[NAME_CACHE];
	struct name_entry groups[NAME_CACHE];
};

/* A JSON string for bytes that may not be UTF-8 (lossy when not). */
json_t	*alert_json_bytes(const char *s, size_t len);
/* The lossless escaped form of bytes (pathenc.h). */
json_t	*alert_json_escaped(const char *s, size_t len);
/* RFC 3339 UTC with microseconds. */
json_t	*alert_json_time(const struct fimd_time *t);
/*
 * The "file" section; a link target that is not UTF-8 also adds
 * target_path_escaped to fimd.  Returns a new object.
 */
json_t	*alert_file_json(struct alert_stream *s, const struct alert *a,
	    json_t *fimd);
json_t	*alert_process_json(const struct procinfo *p);
/* ECS related: the digests and user names the line mentions. */
json_t	*alert_related_json(struct alert_stream *s, const struct alert *a);
json_t	*alert_user_json(const struct procinfo *p);
/* ECS package: name, version, architecture, type. */
json_t	*alert_package_json(const struct alert *a);
/* A summary's fimd.package_change, previous_version, files, mismatched. */
void	alert_summary_json(const struct alert *a, json_t *fimd);
/* Adds fimd.changed_attributes and fimd.changes (always arrays). */
void	alert_changes_json(const struct alert *a, json_t *fimd);

/* The message of such a record, appended to m. */
/* alert_entity.c: the message and sections of an entity's alert. */
void	alert_entity_message(const struct alert *a, struct buf *m);
void	alert_entity_sections(const struct alert *a, json_t *o);
void	alert_entity_fimd(const struct alert *a, json_t *fimd);
const char *alert_entity_category(const struct alert *a);

void	alert_state_message(const struct alert_stream *s, const struct alert *a,
	    struct buf *m);
/* Its fields under fimd, after seq and backend. */
void	alert_state_json(const struct alert *a, json_t *fimd);


#endif
