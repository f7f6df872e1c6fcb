/*
 * Exit records from the kernel's taskstats interface (taskstats.h).
 *
 * Generic netlink in three steps: ask the controller for the family's
 * id, register for the exit records of every possible CPU (the kernel
 * hands each record to the listeners of the CPU the task exits on),
 * then read one record per message.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/taskstats.h>

#include "taskstats.h"

#define TS_BUF		8192
#define TS_MIN_VERSION	12	/* ac_tgid and ac_exe_* */
#define TS_REPLY_MS	1000

/* One request: the two headers, then one attribute. */
struct ts_req {
	struct nlmsghdr	  nh;
	struct genlmsghdr g;
	char		  attr[128];
};

static int
ts_send(int fd, uint16_t type, uint8_t cmd, uint16_t attr, const void *data,
    size_t len)
{
	struct sockaddr_nl to = { .nl_family = AF_NETLINK };
	struct ts_req req;
	struct nlattr na;

	if (NLA_HDRLEN + len > sizeof(req.attr))
		return -EINVAL;
	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_type = type;
	req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	req.g.cmd = cmd;
	req.g.version = 1;	/* the controller's and taskstats' alike */
	na.nla_type = attr;
	na.nla_len = (uint16_t)(NLA_HDRLEN + len);
	memcpy(req.attr, &na, sizeof(na));
	memcpy(req.attr + NLA_HDRLEN, data, len);
	req.nh.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN + NLA_ALIGN(na.nla_len));
	if (sendto(fd, &req, req.nh.nlmsg_len, 0, (struct sockaddr *)&to,
	    sizeof(to)) < 0)
		return -errno;
	return 0;
}

/* The family id in a controller reply, or 0. */
static uint16_t
family_id(const struct nlmsghdr *nh)
{
	const char *p = (const char *)NLMSG_DATA(nh) + GENL_HDRLEN;
	const char *end = (const char *)nh + nh->nlmsg_len;
	struct nlattr na;
	uint16_t id;

	while (p + NLA_HDRLEN <= end) {
		memcpy(&na, p, sizeof(na));
		if (na.nla_len < NLA_HDRLEN || p + na.nla_len > end)
			break;
		if (na.nla_type == CTRL_ATTR_FAMILY_ID &&
		    na.nla_len >= NLA_HDRLEN + sizeof(id)) {
			memcpy(&id, p + NLA_HDRLEN, sizeof(id));
			return id;
		}
		p += NLA_ALIGN(na.nla_len);
	}
	return 0;
}

static int parse_msg(const struct nlmsghdr *, struct taskstats_exit *);

/*
 * Wait for the acknowledgement of the last request, noting on the way a
 * family id (when ret_id is not NULL) and whether a record of this
 * process came (when ret_self is not NULL).  Returns 0 or the kernel's
 * negative errno.  Other exit records that arrive meanwhile are dropped.
 */
static int
ts_ack(int fd, uint16_t *ret_id, bool *ret_self)
{
	char buf[TS_BUF] __attribute__((aligned(8)));
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	struct taskstats_exit x;
	struct nlmsghdr *nh;
	struct nlmsgerr err;
	ssize_t n;

	for (;;) {
		if (poll(&pfd, 1, TS_REPLY_MS) <= 0)
			return -ETIMEDOUT;
		if ((n = recv(fd, buf, sizeof(buf), 0)) < 0)
			return -errno;
		for (nh = (struct nlmsghdr *)(void *)buf;
		    NLMSG_OK(nh, (size_t)n); nh = NLMSG_NEXT(nh, n)) {
			if (nh->nlmsg_type == GENL_ID_CTRL && ret_id != NULL)
				*ret_id = family_id(nh);
			if (nh->nlmsg_type >= NLMSG_MIN_TYPE &&
			    ret_self != NULL && parse_msg(nh, &x) == 1 &&
			    x.pid == getpid())
				*ret_self = true;
			if (nh->nlmsg_type != NLMSG_ERROR)
				continue;
			if (nh->nlmsg_len < NLMSG_LENGTH(sizeof(err)))
				return -EPROTO;
			memcpy(&err, NLMSG_DATA(nh), sizeof(err));
			return err.error;
		}
	}
}

/* "0-N": every CPU that can ever be online. */
static void
possible_cpus(char *buf, size_t len)
{
	long n;
	int fd;
	ssize_t r = -1;

	if ((fd = open("/sys/devices/system/cpu/possible",
	    O_RDONLY | O_CLOEXEC)) >= 0) {
		r = read(fd, buf, len - 1);
		close(fd);
	}
	if (r > 0) {
		buf[r] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		return;
	}
	n = sysconf(_SC_NPROCESSORS_CONF);
	snprintf(buf, len, "0-%ld", n > 1 ? n - 1 : 0);
}

/*
 * Resolve the family, ask for this process's own record, which shows
 * that records carry what taskstats_recv needs (a recent enough
 * version), then register for everyone's.
 */
static int
ts_register(int fd)
{
	uint32_t self = (uint32_t)getpid();
	bool usable = false;
	uint16_t id = 0;
	char cpus[64];
	int r;

	if ((r = ts_send(fd, GENL_ID_CTRL, CTRL_CMD_GETFAMILY,
	    CTRL_ATTR_FAMILY_NAME, TASKSTATS_GENL_NAME,
	    sizeof(TASKSTATS_GENL_NAME))) < 0 ||
	    (r = ts_ack(fd, &id, NULL)) < 0)
		return r;
	if (id == 0)
		return -ENOENT;
	if ((r = ts_send(fd, id, TASKSTATS_CMD_GET, TASKSTATS_CMD_ATTR_PID,
	    &self, sizeof(self))) < 0 || (r = ts_ack(fd, NULL, &usable)) < 0)
		return r;
	if (!usable)
		return -EPROTONOSUPPORT;
	possible_cpus(cpus, sizeof(cpus));
	if ((r = ts_send(fd, id, TASKSTATS_CMD_GET,
	    TASKSTATS_CMD_ATTR_REGISTER_CPUMASK, cpus, strlen(cpus) + 1)) < 0)
		return r;
	return ts_ack(fd, NULL, NULL);
}

int
taskstats_open(void)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	int fd, r, size = 8 << 20;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    NETLINK_GENERIC);
	if (fd < 0)
		return -errno;
	/* An exit storm must not overrun it: ask for a large buffer. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size,
	    sizeof(size)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size,
		    sizeof(size));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = -errno;
		goto fail;
	}
	if ((r = ts_register(fd)) < 0)
		goto fail;
	return fd;
fail:
	close(fd);
	return r;
}

/*
 * The record in a TASKSTATS_TYPE_STATS payload of len bytes: 1 and *ret
 * for a thread group leader of a recent enough version, else 0.
 */
static int
parse_stats(const char *data, size_t len, struct taskstats_exit *ret)
{
	struct taskstats ts;

	/* A newer kernel's record is longer: its head is ours. */
	memset(&ts, 0, sizeof(ts));
	memcpy(&ts, data, len < sizeof(ts) ? len : sizeof(ts));
	if (ts.version < TS_MIN_VERSION || len <
	    offsetof(struct taskstats, ac_exe_inode) + sizeof(ts.ac_exe_inode))
		return 0;
	if (ts.ac_pid != ts.ac_tgid)
		return 0;	/* a thread */
	ret->pid = (pid_t)ts.ac_pid;
	ret->ppid = (pid_t)ts.ac_ppid;
	ret->uid = ts.ac_uid;
	/* The kernel's comm is at most 15 bytes; a longer one is cut. */
	memcpy(ret->comm, ts.ac_comm, sizeof(ret->comm) - 1);
	ret->comm[sizeof(ret->comm) - 1] = '\0';
	ret->have_exe = ts.ac_exe_inode != 0;
	ret->exe_dev = ts.ac_exe_dev;
	ret->exe_ino = ts.ac_exe_inode;
	return 1;
}

/* The record inside a TASKSTATS_TYPE_AGGR_PID attribute, as above. */
static int
parse_aggr(const char *p, const char *end, struct taskstats_exit *ret)
{
	struct nlattr na;

	for (; p + NLA_HDRLEN <= end; p += NLA_ALIGN(na.nla_len)) {
		memcpy(&na, p, sizeof(na));
		if (na.nla_len < NLA_HDRLEN || p + na.nla_len > end)
			return 0;
		if (na.nla_type == TASKSTATS_TYPE_STATS)
			return parse_stats(p + NLA_HDRLEN,
			    na.nla_len - NLA_HDRLEN, ret);
	}
	return 0;
}

/* The leader's record in one message, if it holds one. */
static int
parse_msg(const struct nlmsghdr *nh, struct taskstats_exit *ret)
{
	const char *p = (const char *)NLMSG_DATA(nh);
	const char *end = (const char *)nh + nh->nlmsg_len;
	struct genlmsghdr g;
	struct nlattr na;

	if (nh->nlmsg_len < NLMSG_LENGTH(GENL_HDRLEN))
		return 0;
	memcpy(&g, p, sizeof(g));
	if (g.cmd != TASKSTATS_CMD_NEW)
		return 0;
	for (p += GENL_HDRLEN; p + NLA_HDRLEN <= end;
	    p += NLA_ALIGN(na.nla_len)) {
		memcpy(&na, p, sizeof(na));
		if (na.nla_len < NLA_HDRLEN || p + na.nla_len > end)
			return 0;
		if ((na.nla_type & NLA_TYPE_MASK) == TASKSTATS_TYPE_AGGR_PID)
			return parse_aggr(p + NLA_HDRLEN, p + na.nla_len, ret);
	}
	return 0;
}

int
taskstats_recv(int fd, struct taskstats_exit *ret)
{
	char buf[TS_BUF] __attribute__((aligned(8)));
	struct sockaddr_nl from = { .nl_family = AF_UNSPEC };
	socklen_t fromlen = sizeof(from);
	struct taskstats_exit x;
	struct nlmsghdr *nh;
	ssize_t n;

	if ((n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from,
	    &fromlen)) < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	/* Only the kernel speaks for processes (a peer needs CAP_NET_ADMIN). */
	if (fromlen < sizeof(from) || from.nl_pid != 0)
		return 0;
	for (nh = (struct nlmsghdr *)(void *)buf; NLMSG_OK(nh, (size_t)n);
	    nh = NLMSG_NEXT(nh, n)) {
		if (nh->nlmsg_type < NLMSG_MIN_TYPE)
			continue;
		if (parse_msg(nh, &x) == 1) {
			*ret = x;
			return 1;
		}
	}
	return 0;
}
