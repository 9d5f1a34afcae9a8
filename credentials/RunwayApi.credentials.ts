import type { IAuthenticateGeneric, Icon, ICredentialTestRequest, ICredentialType, INodeProperties } from 'n8n-workflow';

/**
 * Runway's developer API key. The key only ever travels in the Authorization header that
 * n8n adds; the engine never logs it or writes it into item JSON or sidecars.
 */
export class RunwayApi implements ICredentialType {
  name = 'runwayApi';

  displayName = 'Runway API';

  icon: Icon = { light: 'file:runway.svg', dark: 'file:runway.dark.svg' };

  documentationUrl = 'https://docs.dev.runwayml.com/guides/setup/';

  properties: INodeProperties[] = [
    {
      displayName: 'API Key',
      name: 'apiKey',
      type: 'string',
      typeOptions: { password: true },
      default: '',
      required: true,
      description: 'A key from the Runway developer portal (dev.runwayml.com → API Keys)',
    },
    {
      displayName: 'Base URL',
      name: 'baseUrl',
      type: 'string',
      default: 'https://api.dev.runwayml.com',
      description: "Runway's API address; change it only for a proxy or a test server",
    },
    {
      displayName: 'API Version',
      name: 'apiVersion',
      type: 'string',
      default: '2024-11-06',
      description: 'Sent as X-Runway-Version; the engine is written against 2024-11-06',
    },
  ];

  authenticate: IAuthenticateGeneric = {
    type: 'generic',
    properties: {
      headers: {
        Authorization: '=Bearer {{$credentials.apiKey}}',
        'X-Runway-Version': '={{$credentials.apiVersion || "2024-11-06"}}',
      },
    },
  };

  // A free call: it checks the key and shows nothing is spent.
  test: ICredentialTestRequest = {
    request: {
      baseURL: '={{$credentials.baseUrl || "https://api.dev.runwayml.com"}}',
      url: '/v1/organization',
      method: 'GET',
    },
  };
}
