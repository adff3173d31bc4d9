import type { TSchema } from 'typebox'
import { FieldIssueSchema, ProblemSchema } from './problem-schemas.js'
import { StaffMeSchema, StaffRoleSchema } from './staff-schemas.js'
import {
  AcupointDetailSchema, AcupointListSchema, AcupointSummarySchema, ArticleDetailSchema, ArticleLinkSchema, ArticleListSchema,
  ArticlePointSchema, ArticleStatusSchema, ArticleSummarySchema, CautionSchema, ChannelDetailSchema, ChannelFactSchema, ChannelListSchema,
  ChannelSchema, ChannelSummarySchema, ClaimKindSchema, ClaimSchema, FactSchema, FigureLinkSchema, OrganSchema, PointClaimSchema,
  RegionSchema, SourceKindSchema, SourceListSchema, SourceMapSchema, SourceSchema, TreatmentPlanSchema,
} from './reference-schemas.js'
import {
  BulkModerationResultSchema, CommentAcceptedSchema, CommentCountsSchema, CommentReceiptSchema, CommentStatusSchema, ErasureResultSchema,
  ModerationCommentSchema, ModerationEventSchema, ModerationHistorySchema, ModerationQueueSchema, PublicCommentListSchema,
  PublicCommentSchema, CommentFlagSummarySchema, FlagReceiptSchema,
} from './comment-schemas.js'
import { HealthSchema, OpenApiDocumentSchema, ReadinessSchema } from './system-schemas.js'
import { WEBHOOK_SCHEMAS } from './webhook-schemas.js'

/**
 * Every schema with an `$id`. They are added to the app once, so routes can `Type.Ref` them and
 * the OpenAPI document lists them under components/schemas by name.
 */
export const SHARED_SCHEMAS: TSchema[] = [
  FieldIssueSchema,
  ProblemSchema,
  StaffRoleSchema,
  StaffMeSchema,
  HealthSchema,
  ReadinessSchema,
  OpenApiDocumentSchema,
  RegionSchema,
  ClaimKindSchema,
  SourceKindSchema,
  OrganSchema,
  ArticleStatusSchema,
  SourceSchema,
  SourceMapSchema,
  SourceListSchema,
  ChannelSummarySchema,
  ChannelFactSchema,
  ChannelSchema,
  ChannelListSchema,
  PointClaimSchema,
  AcupointSummarySchema,
  FactSchema,
  ClaimSchema,
  FigureLinkSchema,
  ArticleLinkSchema,
  AcupointDetailSchema,
  AcupointListSchema,
  ChannelDetailSchema,
  CautionSchema,
  TreatmentPlanSchema,
  ArticleSummarySchema,
  ArticlePointSchema,
  ArticleDetailSchema,
  ArticleListSchema,
  CommentStatusSchema,
  CommentAcceptedSchema,
  PublicCommentSchema,
  PublicCommentListSchema,
  CommentReceiptSchema,
  ModerationEventSchema,
  ModerationHistorySchema,
  CommentFlagSummarySchema,
  FlagReceiptSchema,
  ModerationCommentSchema,
  ModerationQueueSchema,
  BulkModerationResultSchema,
  CommentCountsSchema,
  ErasureResultSchema,
  ...WEBHOOK_SCHEMAS,
]
