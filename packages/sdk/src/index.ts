export { RestClient, type RestOptions, type RouteArgs, type UploadOptions } from './rest';
export { ParleyApiError, ParleyNetworkError } from './errors';
export { routes } from '@parley/protocol';
