// Types of dist/generated/validators.js, which scripts/build.mjs writes with ajv's standalone
// code generation from schemas/*.schema.json.
import type { ErrorObject } from 'ajv';
export interface CompiledValidator {
  (data: unknown): boolean;
  errors?: ErrorObject[] | null;
}
export declare const version: CompiledValidator;
export declare const model: CompiledValidator;
export declare const policy: CompiledValidator;
export declare const config: CompiledValidator;
export declare const deployment: CompiledValidator;
export declare const analysis: CompiledValidator;
