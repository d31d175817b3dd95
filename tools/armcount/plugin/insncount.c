/*
 * insncount: a QEMU TCG plugin (qemu-user with plugin support, QEMU 7.2 or later) that counts the guest
 * instructions each vCPU executes and, whenever the guest executes the instruction at the address given as
 * marker=0xADDR, appends "VCPU COUNT" to the file given as out=PATH. The difference between two lines of
 * one vCPU is the instructions that vCPU executed between two calls of the marker.
 *
 * With profile=PATH it also writes, at exit, "ADDRESS INSNS EXECUTIONS" (address in hex) for every
 * translated block that the marker's vCPU executed between the second call of the marker and the last:
 * where the instructions went.
 *
 * The declarations below are the few functions and types of QEMU's public plugin API (docs/devel/tcg-plugins
 * in QEMU's documentation) that this plugin uses, written out so that no QEMU headers are needed.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef uint64_t qemu_plugin_id_t;
typedef struct {
	const char *target_name;
	struct {
		int min;
		int cur;
	} version;
	bool system_emulation;
} qemu_info_t;
struct qemu_plugin_tb;
struct qemu_plugin_insn;
enum qemu_plugin_cb_flags { QEMU_PLUGIN_CB_NO_REGS };
typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t id, struct qemu_plugin_tb *tb);
typedef void (*qemu_plugin_vcpu_udata_cb_t)(unsigned int vcpu_index, void *userdata);
typedef void (*qemu_plugin_udata_cb_t)(qemu_plugin_id_t id, void *userdata);
void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id, qemu_plugin_vcpu_tb_trans_cb_t cb);
void qemu_plugin_register_vcpu_tb_exec_cb(struct qemu_plugin_tb *tb, qemu_plugin_vcpu_udata_cb_t cb,
                                          enum qemu_plugin_cb_flags flags, void *userdata);
void qemu_plugin_register_vcpu_insn_exec_cb(struct qemu_plugin_insn *insn, qemu_plugin_vcpu_udata_cb_t cb,
                                            enum qemu_plugin_cb_flags flags, void *userdata);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, qemu_plugin_udata_cb_t cb, void *userdata);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb, size_t idx);
uint64_t qemu_plugin_insn_vaddr(const struct qemu_plugin_insn *insn);

__attribute__((visibility("default"))) int qemu_plugin_version = 1;

#define MAX_VCPUS 1024

/* One translated block: where it starts, its length, and how often the measured vCPU ran it. */
struct block {
	uint64_t vaddr;
	uint64_t n;
	uint64_t execs;
	uint64_t snap; /* execs at the latest marker */
	struct block *next;
};

static uint64_t counts[MAX_VCPUS];
static uint64_t marker;
static FILE *out;
static FILE *profile;
static struct block *blocks;      /* every block translated, pushed atomically */
static volatile int measured = -1; /* the vCPU whose blocks the profile counts */
static int markers;                /* marker calls so far */

static void tb_exec(unsigned int vcpu, void *udata)
{
	struct block *b = udata;
	if (vcpu < MAX_VCPUS)
		counts[vcpu] += b->n;
	if ((int)vcpu == measured)
		b->execs++;
}

static void marker_exec(unsigned int vcpu, void *unused)
{
	if (vcpu >= MAX_VCPUS)
		return;
	/* The profile starts at the second marker: the frames are read before the first, and the first
	 * Step, between the two, allocates the tracker's buffers. */
	if (++markers == 2)
		measured = (int)vcpu;
	fprintf(out, "%u %llu\n", vcpu, (unsigned long long)counts[vcpu]);
	if (profile != NULL && (int)vcpu == measured)
		for (struct block *b = __atomic_load_n(&blocks, __ATOMIC_ACQUIRE); b != NULL; b = b->next)
			b->snap = b->execs; /* what runs after the last marker (the exit) stays out */
}

static void tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	size_t n = qemu_plugin_tb_n_insns(tb);
	struct block *b = calloc(1, sizeof *b);
	if (b == NULL)
		abort();
	b->n = n;
	b->vaddr = n > 0 ? qemu_plugin_insn_vaddr(qemu_plugin_tb_get_insn(tb, 0)) : 0;
	b->next = __atomic_load_n(&blocks, __ATOMIC_RELAXED);
	while (!__atomic_compare_exchange_n(&blocks, &b->next, b, false, __ATOMIC_RELEASE, __ATOMIC_RELAXED))
		;
	qemu_plugin_register_vcpu_tb_exec_cb(tb, tb_exec, QEMU_PLUGIN_CB_NO_REGS, b);
	for (size_t i = 0; i < n; i++) {
		struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
		if (qemu_plugin_insn_vaddr(insn) == marker)
			qemu_plugin_register_vcpu_insn_exec_cb(insn, marker_exec, QEMU_PLUGIN_CB_NO_REGS, NULL);
	}
}

static void at_exit(qemu_plugin_id_t id, void *unused)
{
	fclose(out);
	if (profile == NULL)
		return;
	for (struct block *b = __atomic_load_n(&blocks, __ATOMIC_ACQUIRE); b != NULL; b = b->next)
		if (b->snap > 0)
			fprintf(profile, "%llx %llu %llu\n", (unsigned long long)b->vaddr, (unsigned long long)b->n,
			        (unsigned long long)b->snap);
	fclose(profile);
}

__attribute__((visibility("default"))) int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info,
                                                               int argc, char **argv)
{
	const char *path = NULL;
	for (int i = 0; i < argc; i++) {
		if (strncmp(argv[i], "marker=", 7) == 0)
			marker = strtoull(argv[i] + 7, NULL, 0);
		else if (strncmp(argv[i], "out=", 4) == 0)
			path = argv[i] + 4;
		else if (strncmp(argv[i], "profile=", 8) == 0 && (profile = fopen(argv[i] + 8, "w")) == NULL) {
			perror(argv[i] + 8);
			return -1;
		}
	}
	if (marker == 0 || path == NULL) {
		fprintf(stderr, "insncount: want marker=0xADDR and out=PATH\n");
		return -1;
	}
	if ((out = fopen(path, "w")) == NULL) {
		perror(path);
		return -1;
	}
	qemu_plugin_register_vcpu_tb_trans_cb(id, tb_trans);
	qemu_plugin_register_atexit_cb(id, at_exit, NULL);
	return 0;
}
