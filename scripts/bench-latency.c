/*
 * bench-latency: close()-to-report latency of 1,000 sequential writes.
 *
 *   bench-latency DIR ALERTS N [inotifywait]
 *
 * Writes N files DIR/lat/fI one after another (open, write, close, 5 ms
 * pause), noting the CLOCK_REALTIME time of each close().  Meanwhile, when
 * asked, an inotifywait watching DIR/lat prints each close_write and a
 * thread notes when each line arrives.  Then fimd's alert file ALERTS is
 * read and each alert's @timestamp (taken by fimd when it built the alert)
 * is matched to its file.  Prints p50, p99 and max for fimd and for
 * inotifywait, in milliseconds.
 *
 * Build: cc -O2 -o bench-latency bench-latency.c -ljansson -lpthread
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

static double *closed, *seen_inw;
static int nfiles;
static FILE *inw_out;

static double
now_real(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *
inw_reader(void *arg)
{
	char line[8192], *p;
	int i;

	(void)arg;
	while (fgets(line, sizeof(line), inw_out) != NULL) {
		double t = now_real();

		if ((p = strrchr(line, '/')) == NULL || p[1] != 'f')
			continue;
		i = atoi(p + 2);
		if (i >= 0 && i < nfiles && seen_inw[i] == 0)
			seen_inw[i] = t;
	}
	return NULL;
}

static double
parse_rfc3339(const char *s)
{
	struct tm tm;
	char *rest;
	double frac = 0;

	memset(&tm, 0, sizeof(tm));
	if ((rest = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm)) == NULL)
		return 0;
	if (*rest == '.')
		frac = strtod(rest, NULL);
	return (double)timegm(&tm) + frac;
}

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void
report(const char *who, double *lat, int n)
{
	if (n == 0) {
		printf("%-12s no samples\n", who);
		return;
	}
	qsort(lat, (size_t)n, sizeof(*lat), cmp);
	printf("%-12s samples %4d  p50 %7.3f ms  p99 %7.3f ms  max %7.3f ms\n",
	    who, n, lat[(n - 1) / 2] * 1e3, lat[(n - 1) * 99 / 100] * 1e3,
	    lat[n - 1] * 1e3);
}

int
main(int argc, char **argv)
{
	char path[4096], *line = NULL, *lat_dir;
	double *lat;
	size_t cap = 0;
	pid_t inw = -1;
	pthread_t th;
	FILE *f;
	int i, fd, n, p[2];
	ssize_t len;

	if (argc < 4)
		return fprintf(stderr, "usage: %s DIR ALERTS N [inotifywait]\n",
		    argv[0]), 2;
	nfiles = atoi(argv[3]);
	closed = calloc((size_t)nfiles, sizeof(*closed));
	seen_inw = calloc((size_t)nfiles, sizeof(*seen_inw));
	lat = calloc((size_t)nfiles, sizeof(*lat));
	if (asprintf(&lat_dir, "%s/lat", argv[1]) < 0)
		return 1;
	if (argc > 4) {
		if (pipe(p) < 0 || (inw = fork()) < 0)
			return 1;
		if (inw == 0) {
			dup2(p[1], 1);
			close(p[0]);
			execlp("inotifywait", "inotifywait", "-q", "-m", "-e",
			    "close_write", "--format", "%w%f", lat_dir,
			    (char *)NULL);
			_exit(127);
		}
		close(p[1]);
		inw_out = fdopen(p[0], "r");
		pthread_create(&th, NULL, inw_reader, NULL);
		usleep(500000);	/* let it place its watch */
	}
	for (i = 0; i < nfiles; i++) {
		snprintf(path, sizeof(path), "%s/f%d", lat_dir, i);
		if ((fd = open(path, O_WRONLY | O_TRUNC)) < 0)
			return perror(path), 1;
		if (write(fd, "latency\n", 8) != 8)
			return 1;
		close(fd);
		closed[i] = now_real();
		usleep(5000);
	}
	sleep(2);
	if (inw > 0) {
		kill(inw, SIGTERM);
		waitpid(inw, NULL, 0);
		pthread_join(th, NULL);
	}
	if ((f = fopen(argv[2], "r")) == NULL)
		return perror(argv[2]), 1;
	while ((len = getline(&line, &cap, f)) > 0) {
		json_t *a = json_loadb(line, (size_t)len, 0, NULL);
		const char *fp, *ts;

		if (a == NULL)
			continue;
		fp = json_string_value(json_object_get(json_object_get(a,
		    "file"), "path"));
		ts = json_string_value(json_object_get(a, "@timestamp"));
		if (fp != NULL && ts != NULL && strncmp(fp, lat_dir,
		    strlen(lat_dir)) == 0 && strrchr(fp, '/')[1] == 'f') {
			i = atoi(strrchr(fp, '/') + 2);
			if (i >= 0 && i < nfiles && closed[i] > 0 &&
			    seen_inw[i] >= 0) {
				lat[i] = parse_rfc3339(ts) - closed[i];
				closed[i] = -closed[i];
			}
		}
		json_decref(a);
	}
	fclose(f);
	for (n = 0, i = 0; i < nfiles; i++)
		if (closed[i] < 0)
			lat[n++] = lat[i];
	report("fimd", lat, n);
	if (inw > 0) {
		for (n = 0, i = 0; i < nfiles; i++)
			if (seen_inw[i] > 0)
				lat[n++] = seen_inw[i] - (closed[i] < 0 ?
				    -closed[i] : closed[i]);
		report("inotifywait", lat, n);
	}
	return 0;
}
