/** Types of the generated standalone validator (case-report-v1.validate.js). */
export interface ValidatorError {
  /** JSON Pointer to the offending value ("" = the report itself). */
  instancePath: string;
  /** JSON Pointer into report-v1.schema.json, e.g. "#/$defs/tensor/properties/status/$ref". */
  schemaPath: string;
  keyword: string;
  params: Record<string, unknown>;
  message?: string;
}

export interface StandaloneValidator {
  (data: unknown): boolean;
  errors?: ValidatorError[] | null;
}

export declare const validate: StandaloneValidator;
export default validate;
