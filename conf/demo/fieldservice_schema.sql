-- The field-service schema every tenant database has (FieldServiceDB, FieldServiceDB_Demo,
-- FieldServiceDB_ACME, ...). Runs unchanged on SQL Server; tdsd loads it through its
-- T-SQL rewriter. Tenant rows live in one data file per tenant (dcpsp.sql, acme.sql, ...).
CREATE TABLE Customers (
    CustomerId INT IDENTITY(1,1) PRIMARY KEY,
    Name NVARCHAR(200) NOT NULL,
    Email NVARCHAR(255) NULL,
    Phone NVARCHAR(50) NULL,
    City NVARCHAR(100) NULL,
    Country NVARCHAR(100) NULL,
    IsActive BIT NOT NULL DEFAULT 1,
    CreatedAt DATETIME2 NOT NULL DEFAULT SYSUTCDATETIME()
);
GO

CREATE TABLE Sites (
    SiteId INT IDENTITY(1,1) PRIMARY KEY,
    CustomerId INT NOT NULL REFERENCES Customers (CustomerId),
    Name NVARCHAR(200) NOT NULL,
    Address NVARCHAR(400) NULL,
    Latitude FLOAT NULL,
    Longitude FLOAT NULL,
    CreatedAt DATETIME2 NOT NULL DEFAULT SYSUTCDATETIME()
);
GO
CREATE INDEX IX_Sites_CustomerId ON Sites (CustomerId);
GO

CREATE TABLE Users (
    UserId INT IDENTITY(1,1) PRIMARY KEY,
    Username NVARCHAR(255) NOT NULL UNIQUE,
    DisplayName NVARCHAR(200) NOT NULL,
    -- crypt(3) strings ($2b$ bcrypt, $y$ yescrypt, $6$ SHA-512): never a plain password
    PasswordHash NVARCHAR(255) NOT NULL,
    Role NVARCHAR(32) NOT NULL DEFAULT N'technician',
    IsActive BIT NOT NULL DEFAULT 1,
    CreatedAt DATETIME2 NOT NULL DEFAULT SYSUTCDATETIME()
);
GO

CREATE TABLE Tickets (
    TicketId INT IDENTITY(1,1) PRIMARY KEY,
    SiteId INT NOT NULL REFERENCES Sites (SiteId),
    Title NVARCHAR(200) NOT NULL,
    Description NVARCHAR(MAX) NULL,
    Status NVARCHAR(20) NOT NULL DEFAULT N'Open'
        CHECK (Status IN (N'Open', N'InProgress', N'Resolved', N'Closed')),
    Priority INT NOT NULL DEFAULT 3 CHECK (Priority BETWEEN 1 AND 5),
    AssignedTo INT NULL REFERENCES Users (UserId),
    CreatedAt DATETIME2 NOT NULL DEFAULT SYSUTCDATETIME(),
    UpdatedAt DATETIME2 NULL
);
GO
CREATE INDEX IX_Tickets_SiteId ON Tickets (SiteId);
GO
CREATE INDEX IX_Tickets_Status ON Tickets (Status, Priority);
GO

-- A technician's visit for a ticket: when (with the customer's UTC offset), what the
-- call-out costs (exact DECIMAL, MONEY for parts), keyed by a UNIQUEIDENTIFIER the
-- mobile app generates offline. Notes are VARCHAR in the database's Latin1 collation.
CREATE TABLE Appointments (
    AppointmentId UNIQUEIDENTIFIER NOT NULL PRIMARY KEY,
    TicketId INT NOT NULL REFERENCES Tickets (TicketId),
    ScheduledFor DATETIMEOFFSET(0) NOT NULL,
    ArrivalWindow TIME(0) NOT NULL,
    VisitDate DATE NOT NULL,
    CalloutFee DECIMAL(10,2) NOT NULL,
    PartsCost MONEY NULL,
    Notes VARCHAR(200) NULL
);
GO
CREATE INDEX IX_Appointments_TicketId ON Appointments (TicketId);
GO
