/*
 * grants.c - which declared capabilities a tool call may use.
 *
 * Only the operator decides. The inputs are the --grant strings, the
 * workspace (naming one grants fs.read:/workspace), the workspace policy
 * in the store and the operator's answers at the approval prompt. The
 * model's output is not an input: this file never sees tool arguments.
 *
 * For each capability D the tool's manifest declares, in order:
 *   1. D is covered by --grant            -> allowed, "grant"
 *   2. D is covered by the workspace read -> allowed, "workspace"
 *   3. a policy deny entry meets D        -> denied,  "policy-deny"
 *   4. a policy allow entry covers D      -> allowed, "policy"
 *   5. the operator answered for D before in this agent: "deny" ->
 *      denied, "denied-by-operator"; "always" (with nowhere to save it)
 *      -> allowed, "approved-always"
 *   6. approve(): once -> "approved-once"; always -> saved to the policy,
 *      "approved-always"; deny -> "denied-by-operator" (remembered)
 *   7. no approve callback -> denied, "no-terminal"
 * "Covered" means D ∩ S holds a capability of D's own kind: the
 * operator's grant may be narrower than D (a tool declaring GET on any
 * https host, granted network:https://docs.python.org, is covered, and
 * gets only that host), but a weaker kind is not cover
 * (fs.write:/workspace is not covered by the workspace's implied read, so
 * writing is asked for). "Meets" is any non-empty intersection: denies
 * are read broadly.
 *
 * What the call may then use is declared ∩ (grants ∪ workspace read ∪
 * the allow entries that met an allowed or asked-for D ∪ every approved
 * D) - computed here with the caps.h intersection and handed to the
 * runner as the call's grants, where declared ∩ grants gives the same
 * set again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/internal.h"
#include "core/clock.h"

int ba_agent__grants_init(ba_agent_grants *g, const char *const *grants, size_t count,
                          bool workspace, char *err, size_t err_len)
{
	g->operator_caps = ba_capset_new();
	g->workspace_caps = ba_capset_new();
	if (!g->operator_caps || !g->workspace_caps) {
		snprintf(err, err_len, "out of memory");
		return -1;
	}
	if (count > BA_AGENT_MAX_GRANTS) {
		snprintf(err, err_len, "more than %d grants", BA_AGENT_MAX_GRANTS);
		return -1;
	}
	char e[BA_CAP_TEXT_MAX + 256];
	for (size_t i = 0; i < count; i++) {
		if (!grants[i]) {
			snprintf(err, err_len, "grant %zu is missing", i + 1);
			return -1;
		}
		if (ba_capset_add(g->operator_caps, grants[i], e, sizeof e)) {
			snprintf(err, err_len, "--grant: %s", e);
			return -1;
		}
	}
	if (workspace && ba_capset_add(g->workspace_caps, "fs.read:/workspace", e, sizeof e)) {
		snprintf(err, err_len, "%s", e);
		return -1;
	}
	return 0;
}

void ba_agent__grants_release(ba_agent_grants *g)
{
	ba_capset_free(g->operator_caps);
	ba_capset_free(g->workspace_caps);
	g->operator_caps = g->workspace_caps = NULL;
}

/* Scratch sets for one decision round: a capability alone, an
 * intersection, and a parsed policy entry. */
typedef struct scratch {
	ba_capset *one, *meet, *entry;
} scratch;

/* meet = {d} ∩ set; returns whether it holds a capability of d's kind. */
static bool covers(scratch *s, const ba_cap *d, const ba_capset *set)
{
	s->meet->count = 0;
	if (!set || set->count == 0)
		return false;
	if (ba_capset_intersect(s->one, set, s->meet) == 0)
		return false;
	for (size_t i = 0; i < s->meet->count; i++)
		if (s->meet->caps[i].kind == d->kind)
			return true;
	return false;
}

/* Adds every capability of from to to; 0 or -1 (full or out of memory,
 * which the caller reports: an approval that cannot be honoured must not
 * turn into a silent denial without a word). */
static int add_all(ba_capset *to, const ba_capset *from)
{
	for (size_t i = 0; i < from->count; i++)
		if (ba_capset_push(to, &from->caps[i]) != 0)
			return -1;
	return 0;
}

static const ba_agent_memory *recall(const ba_agent_grants *g, const char *tool,
                                     const char *capability)
{
	for (size_t i = 0; i < g->memory_count; i++)
		if (strcmp(g->memory[i].tool, tool) == 0 &&
		    strcmp(g->memory[i].capability, capability) == 0)
			return &g->memory[i];
	return NULL;
}

static void remember(ba_agent_grants *g, const char *tool, const char *capability, bool allow)
{
	ba_agent_memory *m = NULL;
	for (size_t i = 0; i < g->memory_count && !m; i++)
		if (strcmp(g->memory[i].tool, tool) == 0 &&
		    strcmp(g->memory[i].capability, capability) == 0)
			m = &g->memory[i];
	if (!m) {
		/* Full: the operator is simply asked again, which is safe. */
		if (g->memory_count == BA_AGENT_MAX_MEMORY)
			return;
		m = &g->memory[g->memory_count++];
		snprintf(m->tool, sizeof m->tool, "%s", tool);
		snprintf(m->capability, sizeof m->capability, "%s", capability);
	}
	m->allow = allow;
}

static void set(ba_agent_decision *d, bool allowed, const char *source)
{
	d->allowed = allowed;
	d->source = source;
}

/* Write implies read, so an fs.read at or below an fs.write path adds
 * nothing - and must go: the runner makes one preopen per file
 * capability, and a read-only preopen of the same folder as a writable
 * one (the workspace's implied read beside a write grant) would make the
 * folder read-only for the tool. */
static int drop_implied_reads(ba_capset *set)
{
	ba_capset *keep = ba_capset_new();
	if (!keep)
		return -1;
	for (size_t i = 0; i < set->count; i++) {
		const ba_cap *c = &set->caps[i];
		bool implied = false;
		for (size_t k = 0; c->kind == BA_CAP_FS_READ && k < set->count && !implied; k++)
			implied = set->caps[k].kind == BA_CAP_FS_WRITE &&
			          ba_guest_path_within(set->caps[k].path, c->path);
		if (!implied && ba_capset_push(keep, c) != 0) {
			ba_capset_free(keep);
			return -1;
		}
	}
	int rc = keep->count == set->count ? 0 : ba_capset_copy(set, keep);
	ba_capset_free(keep);
	return rc;
}

int ba_agent__grants_decide(ba_agent_grants *g, const ba_manifest *m, ba_agent_decision *decisions,
                            ba_capset *effective, const atomic_bool *cancel, char *err,
                            size_t err_len)
{
	int rc = -1;
	scratch s = {ba_capset_new(), ba_capset_new(), ba_capset_new()};
	ba_capset *allowed = ba_capset_new();
	ba_policy_entry *entries = NULL;
	size_t entry_count = 0;
	effective->count = 0;
	if (!s.one || !s.meet || !s.entry || !allowed) {
		snprintf(err, err_len, "out of memory");
		goto out;
	}
	if (add_all(allowed, g->operator_caps) != 0 || add_all(allowed, g->workspace_caps) != 0) {
		snprintf(err, err_len, "too many grants");
		goto out;
	}
	const ba_capset *declared = m->declared;
	bool policy_read = false;

	for (size_t i = 0; i < declared->count && i < BA_CAPSET_MAX; i++) {
		const ba_cap *d = &declared->caps[i];
		ba_agent_decision *dec = &decisions[i];
		memset(dec, 0, sizeof *dec);
		dec->declared = d;
		s.one->count = 0;
		if (ba_capset_push(s.one, d) != 0) {
			snprintf(err, err_len, "out of memory");
			goto out;
		}
		if (covers(&s, d, g->operator_caps)) {
			set(dec, true, "grant");
			continue;
		}
		if (covers(&s, d, g->workspace_caps)) {
			set(dec, true, "workspace");
			continue;
		}

		/* The policy is read for every call that needs it (not once per
		 * agent): another process - `boxagent policy`, another agent's
		 * "always" - may have changed it. */
		if (!policy_read && g->store && g->workspace) {
			char pe[512];
			if (ba_store_policy_list(g->store, g->workspace, m->name, &entries,
			                         &entry_count, pe, sizeof pe) != 0) {
				snprintf(err, err_len, "workspace policy: %s", pe);
				goto out;
			}
			policy_read = true;
		}
		/* The policy: denies first, and they win. */
		bool denied = false, policy_allowed = false;
		char e[BA_CAP_TEXT_MAX + 128];
		for (size_t k = 0; k < entry_count && !denied; k++) {
			if (entries[k].allow)
				continue;
			s.entry->count = 0;
			if (ba_capset_add(s.entry, entries[k].capability, e, sizeof e))
				continue; /* the store checked it; never grants anyway */
			s.meet->count = 0;
			if (ba_capset_intersect(s.one, s.entry, s.meet) > 0)
				denied = true;
		}
		if (denied) {
			set(dec, false, "policy-deny");
			continue;
		}
		for (size_t k = 0; k < entry_count; k++) {
			if (!entries[k].allow)
				continue;
			s.entry->count = 0;
			if (ba_capset_add(s.entry, entries[k].capability, e, sizeof e))
				continue;
			bool c = covers(&s, d, s.entry);
			/* An allow entry that only meets D in a weaker kind (a
			 * read of a write) still gives that much. */
			if (add_all(allowed, s.meet) != 0) {
				snprintf(err, err_len, "too many capabilities for %s", m->name);
				goto out;
			}
			policy_allowed = policy_allowed || c;
		}
		if (policy_allowed) {
			set(dec, true, "policy");
			continue;
		}

		const ba_agent_memory *mem = recall(g, m->name, d->text);
		if (mem) {
			set(dec, mem->allow, mem->allow ? "approved-always" : "denied-by-operator");
			if (mem->allow && ba_capset_push(allowed, d) != 0) {
				snprintf(err, err_len, "too many capabilities for %s", m->name);
				goto out;
			}
			continue;
		}
		if (!g->approve) {
			set(dec, false, "no-terminal");
			continue;
		}
		if (cancel && atomic_load(cancel)) {
			set(dec, false, "cancelled");
			continue;
		}
		uint64_t t0 = ba_mono_ns();
		ba_agent_approval answer = g->approve(g->approve_user, m->name, d->text);
		g->approval_ns += ba_mono_ns() - t0;
		switch (answer) {
		case BA_AGENT_ALLOW_ONCE:
			set(dec, true, "approved-once");
			break;
		case BA_AGENT_ALLOW_ALWAYS:
			set(dec, true, "approved-always");
			if (g->store && g->workspace) {
				char pe[512];
				if (ba_store_policy_set(g->store, g->workspace, m->name, d->text,
				                        true, pe, sizeof pe) != 0) {
					/* Allowed now as the operator said; only the
					 * "always" part failed, and the event says so. */
					snprintf(dec->message, sizeof dec->message,
					         "could not save to the workspace policy: %.200s",
					         pe);
					remember(g, m->name, d->text, true);
				}
			} else {
				/* No workspace (the policy's key) or no store:
				 * "always" lasts as long as this agent. */
				remember(g, m->name, d->text, true);
			}
			break;
		case BA_AGENT_DENY:
		default:
			set(dec, false, "denied-by-operator");
			remember(g, m->name, d->text, false);
			break;
		}
		if (dec->allowed && ba_capset_push(allowed, d) != 0) {
			snprintf(err, err_len, "too many capabilities for %s", m->name);
			goto out;
		}
	}
	ba_capset_intersect(declared, allowed, effective);
	if (drop_implied_reads(effective) != 0) {
		snprintf(err, err_len, "out of memory");
		goto out;
	}
	rc = 0;
out:
	free(entries);
	ba_capset_free(s.one);
	ba_capset_free(s.meet);
	ba_capset_free(s.entry);
	ba_capset_free(allowed);
	return rc;
}
