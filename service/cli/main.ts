#!/usr/bin/env node
/**
 * `huzhu`: the member, assessor, administrator and auditor command line. Each command group lives
 * in commands/<group>.ts and registers itself here. Human output by default, `--json` for scripts.
 */
import { Command } from "commander";
import { registerAssessor } from "./commands/assessor.ts";
import { registerAssessorDesk } from "./commands/assessor-desk.ts";
import { registerAudit } from "./commands/audit.ts";
import { registerCase } from "./commands/case.ts";
import { registerCeremony } from "./commands/ceremony.ts";
import { registerClaim } from "./commands/claim.ts";
import { registerCommittee } from "./commands/committee.ts";
import { registerIdentity } from "./commands/identity.ts";
import { registerMembership } from "./commands/membership.ts";
import { registerPlanAdmin } from "./commands/plan-admin.ts";
import { registerPlans } from "./commands/plans.ts";

const program = new Command()
  .name("huzhu")
  .description("Huzhu 互助: anonymous mutual-aid claims")
  .option("--json", "print machine-readable JSON instead of human text")
  .showHelpAfterError("(run `huzhu --help` for usage)");

registerIdentity(program);
registerPlans(program);
registerMembership(program);
registerPlanAdmin(program);
registerAssessor(program);
registerAssessorDesk(program);
registerCommittee(program);
registerCase(program);
registerClaim(program);
registerAudit(program);
registerCeremony(program);

await program.parseAsync(process.argv);
