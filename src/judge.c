/* judge: naming a difference (see include/judge.h). */
#include <string.h>
#include <sys/stat.h>

#include "judge.h"

bool
judge_change(const struct record *old, const struct record *new,
    const struct rule *rule, bool moved, enum alert_action *action,
    struct diff *diff)
{
	attr_mask attrs = rule != NULL ? rule->attrs : ATTR_GROUP_STANDARD;

	memset(diff, 0, sizeof(*diff));
	if (old == NULL && new == NULL)
		return false;
	if (old == NULL) {
		*action = ACTION_CREATED;
		return true;
	}
	if (new == NULL) {
		*action = ACTION_DELETED;
		return true;
	}
	diff_records(old, new, attrs, diff);
	if (moved) {
		diff->changed &= ~ATTR_BIT(ATTR_CTIME);
		*action = ACTION_MOVED;
		return true;
	}
	if (!diff_any(diff))
		return false;
	*action = diff_is_content(diff) ? ACTION_UPDATED :
	    ACTION_ATTRIBUTES_MODIFIED;
	return true;
}

static bool
is_manager(const struct pkgdb *db, const char *name, const char *exe)
{
	return (name != NULL && pkgdb_is_manager(db, name)) ||
	    (exe != NULL && pkgdb_is_manager(db, exe));
}

bool
judge_is_manager(const struct pkgdb *db, const struct procinfo *writer)
{
	return db != NULL && writer != NULL && writer->pid != 0 &&
	    is_manager(db, writer->name, writer->executable);
}

bool
judge_by_manager(const struct pkgdb *db, const struct procinfo *writer)
{
	size_t i;

	if (db == NULL || writer == NULL || writer->pid == 0)
		return false;
	if (is_manager(db, writer->name, writer->executable))
		return true;
	for (i = 0; i < writer->nancestors; i++) {
		if (is_manager(db, writer->ancestors[i].name,
		    writer->ancestors[i].executable))
			return true;
	}
	return false;
}

void
judge_package(const struct pkgdb *db, const struct change *c,
    bool by_manager, struct verdict *ret)
{
	const struct record *r = c->new;
	const unsigned char *md5;

	memset(ret, 0, sizeof(*ret));
	if (db == NULL || !pkgdb_ready(db))
		return;
	ret->by_manager = by_manager;
	if (!pkgdb_lookup(db, c->path, c->len, &ret->owner)) {
		ret->kind = VERDICT_UNOWNED;
		return;
	}
	md5 = r != NULL && S_ISREG(r->mode) ? record_digest(r, HASH_MD5) :
	    NULL;
	if (md5 != NULL && ret->owner.have_digest) {
		if (memcmp(md5, ret->owner.md5, PKG_MD5_SIZE) == 0)
			ret->kind = VERDICT_PACKAGE;
		else if (ret->owner.conffile && !by_manager)
			ret->kind = VERDICT_CONFFILE_EDITED;
		else
			ret->kind = VERDICT_MISMATCH;
		return;
	}
	if (by_manager)
		ret->kind = VERDICT_PACKAGE;
	else if (ret->owner.conffile)
		ret->kind = VERDICT_CONFFILE_EDITED;
	else
		ret->kind = VERDICT_MISMATCH;
}

hash_mask
judge_package_algos(const struct pkgdb *db, const char *path, size_t len)
{
	struct pkg_owner o;

	if (db == NULL || !pkgdb_lookup(db, path, len, &o) || !o.have_digest)
		return 0;
	return HASH_BIT(HASH_MD5);
}
