-- CreateTable
CREATE TABLE "events" (
    "message_id" TEXT NOT NULL,
    "event_type" TEXT NOT NULL,
    "priority" TEXT NOT NULL,
    "publisher_id" TEXT,
    "generated" TIMESTAMPTZ(3) NOT NULL,
    "request_id" TEXT,
    "global_request_id" TEXT,
    "user_id" TEXT,
    "project_id" TEXT,
    "resource_id" TEXT,
    "payload" JSONB NOT NULL,
    "context" JSONB NOT NULL,
    "received_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "events_pkey" PRIMARY KEY ("message_id")
);

-- CreateIndex
CREATE INDEX "events_event_type_idx" ON "events"("event_type");

-- CreateIndex
CREATE INDEX "events_resource_id_idx" ON "events"("resource_id");

-- CreateIndex
CREATE INDEX "events_request_id_idx" ON "events"("request_id");

-- CreateIndex
CREATE INDEX "events_global_request_id_idx" ON "events"("global_request_id");

-- CreateIndex
CREATE INDEX "events_project_id_idx" ON "events"("project_id");

-- CreateIndex
CREATE INDEX "events_generated_message_id_idx" ON "events"("generated", "message_id");
