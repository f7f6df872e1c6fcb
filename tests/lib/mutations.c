/* The mutation table; see mutations.h. */
#include <stddef.h>

#include "mutations.h"

#define STANDARD "[\"STANDARD\"]"
#define ALL "[\"ALL\"]"

const struct mutation mutations[] = {
	{ "content-same-size-mtime-restored", STANDARD, NULL,
	    "touch -r f \"$W/ref\" && printf 'jello\\n' > f && "
	    "touch -r \"$W/ref\" f",
	    4, "updated", "f", "hash", 1, false, false },
	{ "append", STANDARD, NULL, "echo more >> f",
	    4, "updated", "f", "hash size mtime", 1, false, false },
	{ "truncate", STANDARD, NULL, "truncate -s 2 f",
	    4, "updated", "f", "hash size", 1, false, false },
	{ "chmod-setuid", STANDARD, NULL, "chmod u+s f",
	    4, "attributes_modified", "f", "mode", 1, false, false },
	{ "chown", STANDARD, NULL, "chown 4321 f",
	    4, "attributes_modified", "f", "uid", 1, true, false },
	{ "chgrp", STANDARD, NULL, "chgrp 4321 f",
	    4, "attributes_modified", "f", "gid", 1, true, false },
	{ "setfattr-user", ALL, NULL, "setfattr -n user.k -v hi f",
	    4, "attributes_modified", "f", "xattrs", 1, false, false },
	{ "setcap-binary-copy", ALL, "cp /bin/true t",
	    "setcap cap_net_raw+ep t",
	    4, "attributes_modified", "t", "xattrs", 1, true, false },
	{ "chattr-immutable", ALL, NULL, "chattr +i f",
	    4, "attributes_modified", "f", "flags", 1, true, true },
	{ "delete", STANDARD, NULL, "rm f",
	    2, "deleted", "f", "", 1, false, false },
	{ "create", STANDARD, NULL, "echo new > n",
	    1, "created", "n", "", 1, false, false },
	{ "rename", STANDARD, NULL, "mv f g",
	    1 | 2, "moved", "g", "", 1, false, false },
	{ "symlink-retarget", STANDARD, "ln -s a l", "ln -sfn b l",
	    4, "updated", "l", "link_target", 1, false, false },
	{ "replaced-by-hard-link", STANDARD, NULL, "rm b && ln a b",
	    4, "updated", "b", "hash size", 1, false, false },
	{ "replaced-by-directory", STANDARD, NULL, "rm f && mkdir f",
	    4, "updated", "f", "type", 1, false, false },
	{ "new-file-in-new-deep-dirs", STANDARD, NULL,
	    "mkdir -p x/y/z && echo deep > x/y/z/f",
	    1, "created", "x/y/z/f", "", 4, false, false },
	{ "fifo-created", STANDARD, "mkfifo p0", "mkfifo p1",
	    1, "created", "p1", "", 1, false, false },
	{ "name-with-newline", STANDARD, NULL, "echo x > 'new\nline'",
	    1, "created", "new\nline", "", 1, false, false },
	{ "name-invalid-utf8", STANDARD, NULL, "echo x > \"$(printf 'b\\377d')\"",
	    1, "created", "b\xef\xbf\xbd" "d", "", 1, false, false },
};

const unsigned mutations_count = sizeof(mutations) / sizeof(mutations[0]);
