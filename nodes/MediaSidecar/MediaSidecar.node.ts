import { type IExecuteFunctions, type INodeExecutionData, type INodeType, type INodeTypeDescription, NodeConnectionTypes } from 'n8n-workflow';

import * as read from './actions/read.operation';
import { router } from './actions/router';
import * as update from './actions/update.operation';
import * as write from './actions/write.operation';

export class MediaSidecar implements INodeType {
  description: INodeTypeDescription = {
    displayName: 'Media Sidecar',
    name: 'mediaSidecar',
    icon: { light: 'file:mediaSidecar.svg', dark: 'file:mediaSidecar.dark.svg' },
    group: ['transform'],
    version: 1,
    subtitle: '={{$parameter["operation"]}}',
    description: 'Read, update and write the media-ingest sidecar JSON with its background block',
    defaults: { name: 'Media Sidecar' },
    usableAsTool: true,
    inputs: [NodeConnectionTypes.Main],
    outputs: [NodeConnectionTypes.Main],
    properties: [
      {
        displayName: 'Operation',
        name: 'operation',
        type: 'options',
        noDataExpression: true,
        default: 'update',
        options: [
          {
            name: 'Read',
            value: 'read',
            action: 'Read a sidecar',
            description: 'Load the sidecar into the item (json.sidecar), optionally checking whether the photo is already processed',
          },
          {
            name: 'Update',
            value: 'update',
            action: 'Update the background block',
            description: "Merge the item's Background Cleanup/Replace result into the sidecar's background block; every other field is kept",
          },
          { name: 'Write', value: 'write', action: 'Write a whole sidecar', description: 'Write the given JSON as the sidecar (validated)' },
        ],
      },
      {
        displayName: 'Root Folder',
        name: 'rootFolder',
        type: 'string',
        default: '',
        placeholder: '/media/curated',
        description: 'Sidecars are read and written only inside this folder; empty uses MEDIA_SIDECAR_ROOT',
      },
      {
        displayName: 'Sidecar Path',
        name: 'sidecarPath',
        type: 'string',
        default: '={{ $json.sidecarPath }}',
        required: true,
        description: 'Path of the sidecar JSON, relative to the root folder',
      },
      ...write.description,
      ...read.description,
      ...update.description,
    ],
  };

  async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
    return router.call(this);
  }
}
