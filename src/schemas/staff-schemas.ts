import { Type } from 'typebox'

export const StaffRoleSchema = Type.Unsafe<'editor' | 'moderator' | 'admin'>({
  $id: 'StaffRole',
  title: 'StaffRole',
  type: 'string',
  enum: ['editor', 'moderator', 'admin'],
  description: 'editor: reference data and articles; moderator: comments; admin: everything',
})

export const StaffMeSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid', examples: ['3f6e2c1a-9b7d-4e8f-a1c2-5d4b3a291807'] }),
    name: Type.String({ examples: ['Ada Moderator'] }),
    role: Type.Ref('StaffRole'),
    tokenId: Type.String({ description: 'The id part of the token used for this request', examples: ['9f2c4b1a7e3d5c60'] }),
    createdAt: Type.String({ format: 'date-time', examples: ['2026-11-24T10:00:00.000Z'] }),
  },
  { $id: 'StaffMe', title: 'StaffMe' },
)
