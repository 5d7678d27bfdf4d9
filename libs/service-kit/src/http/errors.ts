/**
 * Every failure of a REST request becomes an OpenStack fault body. Validation failures name the
 * field as nova does ("Invalid input for field/attribute flavorRef. ...").
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError, BadRequest, InternalError, NotFound, OverLimit, UnsupportedMediaType, type ErrorFormat } from '../errors.js';

interface ValidationIssue {
  instancePath?: string;
  message?: string;
  keyword?: string;
  params?: Record<string, unknown>;
}

/** "Invalid input for field/attribute server.flavorRef. Value: None. 'flavorRef' is a required property" */
export function validationMessage(issues: readonly ValidationIssue[], where: string): string {
  const issue = issues[0] ?? {};
  const path = (issue.instancePath ?? '').split('/').filter(Boolean);
  const missing = issue.params?.['missingProperty'];
  const extra = issue.params?.['additionalProperty'];
  if (typeof missing === 'string') path.push(missing);
  if (typeof extra === 'string') path.push(extra);
  const field = path.join('.') || where;
  let detail = issue.message ?? 'is invalid';
  if (issue.keyword === 'required') detail = `'${String(missing)}' is a required property`;
  else if (issue.keyword === 'additionalProperties') detail = `Additional properties are not allowed ('${String(extra)}' was unexpected)`;
  else detail = `'${field}' ${detail}`;
  const label = where === 'body' ? 'field/attribute' : `${where === 'querystring' ? 'query parameter' : where}`;
  return `Invalid input for ${label} ${field}. ${detail}`;
}

export function toApiError(error: FastifyError | Error): ApiError {
  if (error instanceof ApiError) return error;
  const fastifyError = error as FastifyError & { validation?: ValidationIssue[]; validationContext?: string };
  if (fastifyError.validation) return new BadRequest(validationMessage(fastifyError.validation, fastifyError.validationContext ?? 'body'));
  switch (fastifyError.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new BadRequest(`Malformed request body: ${fastifyError.message}`);
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new OverLimit('Request is too large.');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new UnsupportedMediaType('The request media type is not supported: send application/json.');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new BadRequest('The Content-Length header does not match the body.');
    // Router errors (frameworkErrors): an id longer than any real one names nothing, as in nova.
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return new NotFound('The resource could not be found.');
    case 'FST_ERR_BAD_URL':
      return new BadRequest('Malformed URL.');
  }
  if (error instanceof SyntaxError) return new BadRequest(`Malformed request body: ${error.message}`);
  const status = fastifyError.statusCode;
  if (status !== undefined && status >= 400 && status < 500) return new ApiError(status, fastifyError.message);
  return new InternalError();
}

/** fastify's `frameworkErrors` option: errors the router raises before any hook or handler runs. */
export function frameworkErrorHandler(format: ErrorFormat = 'fault'): (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => void {
  return (error, _request, reply) => {
    const apiError = toApiError(error);
    void reply.status(apiError.status).type('application/json').send(apiError.toBody(format));
  };
}

export function installErrorHandlers(app: FastifyInstance, format: ErrorFormat = 'fault'): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const apiError = toApiError(error);
    if (apiError.status >= 500) request.log.error({ err: error }, 'request failed');
    else request.log.info({ status: apiError.status, fault: apiError.code, reason: apiError.message }, 'request refused');
    void reply.status(apiError.status).type('application/json').send(apiError.toBody(format));
  });
  app.setNotFoundHandler((request, reply) => {
    const error = new NotFound('The resource could not be found.');
    void reply.status(404).type('application/json').send(error.toBody(format));
  });
}
