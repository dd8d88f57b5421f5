/**
 * The evidence repository contract (tests/evidence/repository-contract.ts) on R2, inside workerd:
 * the bucket of wrangler.toml, each case under a namespace of its own (an empty repository).
 */
import { env } from "cloudflare:test";
import { R2EvidenceRepository } from "../../api/evidence/repository-r2.ts";
import { repositoryContract } from "../evidence/repository-contract.ts";

let namespaces = 0;
repositoryContract("R2", () => new R2EvidenceRepository(env.VIRKER_EVIDENCE!, `contract-${++namespaces}`));
