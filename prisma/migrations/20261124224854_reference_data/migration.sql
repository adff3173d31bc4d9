-- CreateEnum
CREATE TYPE "BodyRegion" AS ENUM ('head', 'face', 'neck', 'chest', 'abdomen', 'back', 'lumbosacral', 'upper_limb', 'lower_limb', 'perineum');

-- CreateEnum
CREATE TYPE "SourceKind" AS ENUM ('standard', 'article', 'book');

-- CreateEnum
CREATE TYPE "ClaimKind" AS ENUM ('cosmetic_effect', 'linked_organ', 'health_benefit', 'location_note');

-- CreateEnum
CREATE TYPE "ArticleStatus" AS ENUM ('draft', 'published');

-- CreateTable
CREATE TABLE "channels" (
    "code" TEXT NOT NULL,
    "sequence" INTEGER NOT NULL,
    "name" TEXT NOT NULL,
    "point_count" INTEGER NOT NULL,

    CONSTRAINT "channels_pkey" PRIMARY KEY ("code")
);

-- CreateTable
CREATE TABLE "sources" (
    "id" UUID NOT NULL,
    "kind" "SourceKind" NOT NULL,
    "title" TEXT NOT NULL,
    "author" TEXT,
    "publisher" TEXT,
    "url" TEXT,
    "published_on" TEXT,
    "note" TEXT,
    "version" INTEGER NOT NULL DEFAULT 1,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "sources_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "acupoints" (
    "id" UUID NOT NULL,
    "code" TEXT NOT NULL,
    "alternate_codes" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "channel_code" TEXT,
    "number" INTEGER,
    "sort_key" INTEGER NOT NULL,
    "pinyin" TEXT NOT NULL,
    "hanzi_traditional" TEXT NOT NULL,
    "hanzi_simplified" TEXT NOT NULL,
    "english_name" TEXT NOT NULL,
    "region" "BodyRegion",
    "location" TEXT,
    "cautions" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "standard_source_id" UUID NOT NULL,
    "version" INTEGER NOT NULL DEFAULT 1,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "acupoints_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "claims" (
    "id" UUID NOT NULL,
    "acupoint_id" UUID NOT NULL,
    "source_id" UUID NOT NULL,
    "kind" "ClaimKind" NOT NULL,
    "text" TEXT NOT NULL,
    "keyword" TEXT,
    "version" INTEGER NOT NULL DEFAULT 1,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "claims_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "articles" (
    "id" UUID NOT NULL,
    "slug" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "summary" TEXT NOT NULL,
    "body" TEXT NOT NULL,
    "attribution" TEXT NOT NULL,
    "source_url" TEXT,
    "source_id" UUID,
    "status" "ArticleStatus" NOT NULL DEFAULT 'draft',
    "published_at" TIMESTAMPTZ(3),
    "cautions" JSONB NOT NULL DEFAULT '[]',
    "treatment_plan" JSONB,
    "version" INTEGER NOT NULL DEFAULT 1,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "articles_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "article_points" (
    "article_id" UUID NOT NULL,
    "acupoint_id" UUID NOT NULL,
    "position" INTEGER NOT NULL,

    CONSTRAINT "article_points_pkey" PRIMARY KEY ("article_id","position")
);

-- CreateTable
CREATE TABLE "seed_runs" (
    "name" TEXT NOT NULL,
    "applied_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "seed_runs_pkey" PRIMARY KEY ("name")
);

-- CreateIndex
CREATE UNIQUE INDEX "channels_sequence_key" ON "channels"("sequence");

-- CreateIndex
CREATE UNIQUE INDEX "acupoints_code_key" ON "acupoints"("code");

-- CreateIndex
CREATE UNIQUE INDEX "acupoints_sort_key_key" ON "acupoints"("sort_key");

-- CreateIndex
CREATE INDEX "acupoints_channel_code_idx" ON "acupoints"("channel_code");

-- CreateIndex
CREATE INDEX "acupoints_region_idx" ON "acupoints"("region");

-- CreateIndex
CREATE INDEX "acupoints_alternate_codes_idx" ON "acupoints" USING GIN ("alternate_codes");

-- CreateIndex
CREATE INDEX "claims_acupoint_id_idx" ON "claims"("acupoint_id");

-- CreateIndex
CREATE INDEX "claims_source_id_idx" ON "claims"("source_id");

-- CreateIndex
CREATE INDEX "claims_kind_keyword_idx" ON "claims"("kind", "keyword");

-- CreateIndex
CREATE UNIQUE INDEX "articles_slug_key" ON "articles"("slug");

-- CreateIndex
CREATE INDEX "articles_status_published_at_id_idx" ON "articles"("status", "published_at" DESC, "id");

-- CreateIndex
CREATE INDEX "articles_source_id_idx" ON "articles"("source_id");

-- CreateIndex
CREATE INDEX "article_points_acupoint_id_idx" ON "article_points"("acupoint_id");

-- CreateIndex
CREATE UNIQUE INDEX "article_points_article_id_acupoint_id_key" ON "article_points"("article_id", "acupoint_id");

-- AddForeignKey
ALTER TABLE "acupoints" ADD CONSTRAINT "acupoints_channel_code_fkey" FOREIGN KEY ("channel_code") REFERENCES "channels"("code") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "acupoints" ADD CONSTRAINT "acupoints_standard_source_id_fkey" FOREIGN KEY ("standard_source_id") REFERENCES "sources"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "claims" ADD CONSTRAINT "claims_acupoint_id_fkey" FOREIGN KEY ("acupoint_id") REFERENCES "acupoints"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "claims" ADD CONSTRAINT "claims_source_id_fkey" FOREIGN KEY ("source_id") REFERENCES "sources"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "articles" ADD CONSTRAINT "articles_source_id_fkey" FOREIGN KEY ("source_id") REFERENCES "sources"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "article_points" ADD CONSTRAINT "article_points_article_id_fkey" FOREIGN KEY ("article_id") REFERENCES "articles"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "article_points" ADD CONSTRAINT "article_points_acupoint_id_fkey" FOREIGN KEY ("acupoint_id") REFERENCES "acupoints"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
