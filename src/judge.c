/* judge: naming a difference (see include/judge.h). */
#include <string.h>

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
